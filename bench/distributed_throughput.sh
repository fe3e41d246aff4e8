#!/bin/sh
# Issue-9 evidence: fine-tuning throughput of one process against N data-parallel processes (c10d, Gloo over
# loopback) on the same job and the same global batch, measured side by side in one run; one process also with a
# single thread, since the launcher gives each rank its share of the cores. Samples per second come from
# the elapsed times of the run's own loss events (scoring, start-up and the first 10 steps are left out).
#   bench/distributed_throughput.sh [CLI] [OUT_DIR] [STEPS] [BATCH] [NPROC]
set -eu
cli=${1:-build/release/bin/ganstudio-cli}
out=${2:-bench-runs/distributed}
steps=${3:-200}
batch=${4:-64}
nproc=${5:-2}
rm -rf "$out"
mkdir -p "$out"
cat > "$out/job.json" <<JSON
{"model": "resources/demo/dcgan-fashion-mnist.pt", "method": "l1", "selection": {"sparsity": 0.5},
 "data": "fashion-mnist", "finetune": {"steps": $steps, "batch": $batch}, "eval": {"enabled": false},
 "sample_every": 0, "checkpoint_every": 0, "log_every": 10, "seed": 0}
JSON
"$cli" compress --config "$out/job.json" --out "$out/one" > /dev/null 2>&1
OMP_NUM_THREADS=1 "$cli" compress --config "$out/job.json" --out "$out/one-thread" > /dev/null 2>&1
"$cli" compress --config "$out/job.json" --out "$out/many" --nproc "$nproc" > /dev/null 2>&1
python3 - "$out" "$batch" "$nproc" "$(nproc)" <<'PY'
import json, sys
out, batch, nproc, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def rate(run):
    losses = [json.loads(l) for l in open(f"{out}/{run}/events.jsonl") if '"kind":"loss"' in l]
    a, b = losses[0], losses[-1]
    return (b["step"] - a["step"]) * batch / (b["elapsed"] - a["elapsed"])
one, thread, many = rate("one"), rate("one-thread"), rate("many")
print(f"| processes | threads each | samples/s (global batch {batch}, {cores} cores) |")
print("|---|---|---|")
print(f"| 1 | {cores} | {one:.1f} |")
print(f"| 1 | 1 | {thread:.1f} |")
print(f"| {nproc} | {max(1, int(cores) // nproc)} | {many:.1f} |")
print(f"ratio {nproc} processes / 1 process: {many / one:.2f} (against one single-threaded process: {many / thread:.2f})")
PY
