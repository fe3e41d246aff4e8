#!/bin/sh
# Issue-6 evidence for local-density pruning on the bundled pix2pix demo (sketch -> emoji): the G/D agents against
# the generator's agent alone (the paper's comparison: pruning dynamics and the result), beside l1 and coronet, all at
# one sparsity (50% unless given) under the same fine-tuning budget, the learned searches with their MAC budget counted
# by output (the papers' count), and both density searches again with it counted by input (learn.mac_count; "auto",
# the default, counts by input for pix2pix). Prints the pruning-dynamics table (bench/learn_dynamics.py) and the
# results table (bench/compress_table.py); each run's report.md has its learn.png curves.
#   bench/density_evidence.sh [CLI] [OUT_DIR] [STEPS] [SPARSITY]
set -eu
cli=${1:-build/release/bin/ganstudio-cli}
out=${2:-bench-runs-pix2pix}
steps=${3:-300}
sparsity=${4:-0.5}
model=resources/demo/pix2pix-emoji-edges.pt
data=resources/data/pix2pix-emoji-edges.pt
mkdir -p "$out"
run_one() { # name method learn-json
  run="$out/$1"
  [ -f "$run/report.md" ] && return 0
  rm -rf "$run"
  cat > "$out/$1.json" <<JSON
{"model": "$model", "method": "$2", "selection": {"sparsity": $sparsity}, "learn": $3,
 "score": {"batches": 32}, "data": "$data",
 "finetune": {"steps": $steps, "batch": 16}, "eval": {"n": 256, "every": $((steps / 3))},
 "sample_every": $((steps / 3)), "checkpoint_every": $((steps / 3)), "seed": 0}
JSON
  echo "== $1" >&2
  "$cli" compress --config "$out/$1.json" --out "$run" > /dev/null
}
run_one density-gd density '{"max_steps": 600, "prune_discriminator": true, "mac_count": "by_output"}'
run_one density-g density '{"max_steps": 600, "prune_discriminator": false, "mac_count": "by_output"}'
run_one density-gd-in density '{"max_steps": 600, "prune_discriminator": true, "mac_count": "by_input"}'
run_one density-g-in density '{"max_steps": 600, "prune_discriminator": false, "mac_count": "by_input"}'
run_one l1 l1 '{}'
run_one coronet coronet '{"mac_count": "by_output"}'
here=$(dirname "$0")
python3 "$here/learn_dynamics.py" "$out/density-gd" "$out/density-g"
echo
python3 "$here/compress_table.py" "$out/density-gd" "$out/density-g" "$out/density-gd-in" "$out/density-g-in" \
  "$out/l1" "$out/coronet"
