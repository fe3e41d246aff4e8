#!/bin/sh
# Issue-6 evidence: compresses the bundled demo model at 50% and 70% channel sparsity with every applicable scoring
# method under the same fine-tuning budget, then prints one table (bench/compress_table.py) of parameters, MACs,
# measured latency and metrics before and after fine-tuning.
#   bench/compress_evidence.sh [CLI] [OUT_DIR] [STEPS]
# MODEL (default the DCGAN demo), METHODS and SPARSITIES (space-separated) narrow or redirect the sweep, e.g.
#   MODEL=resources/demo/stylegan2-fashion-mnist.pt METHODS="random l1 diversity" bench/compress_evidence.sh
set -eu
cli=${1:-build/release/bin/ganstudio-cli}
out=${2:-bench-runs}
steps=${3:-1000}
model=${MODEL:-resources/demo/dcgan-fashion-mnist.pt}
mkdir -p "$out"
for sparsity in ${SPARSITIES:-0.5 0.7}; do
  for method in ${METHODS:-random l1 norm content diversity coronet density}; do
    run="$out/$method-$sparsity"
    [ -f "$run/report.md" ] && continue
    rm -rf "$run"
    cat > "$out/$method-$sparsity.json" <<JSON
{"model": "$model", "method": "$method", "selection": {"sparsity": $sparsity},
 "score": {"batches": 200}, "data": "fashion-mnist",
 "finetune": {"steps": $steps, "batch": 32}, "eval": {"n": 2000, "every": $((steps / 4))},
 "sample_every": $((steps / 4)), "checkpoint_every": $((steps / 4)), "seed": 0}
JSON
    echo "== $method at sparsity $sparsity" >&2
    "$cli" compress --config "$out/$method-$sparsity.json" --out "$run" > /dev/null
  done
done
python3 "$(dirname "$0")/compress_table.py" "$out"/*/
