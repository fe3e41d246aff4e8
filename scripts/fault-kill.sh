#!/usr/bin/env bash
# Fault drill for issue 8: kills a deterministic compress job with SIGKILL at random moments KILLS times (default 20),
# resuming after each, then lets it finish. Checks after every kill that each file in the run directory is whole
# (JSON parses, every complete events.jsonl line parses, PNGs end with IEND) and that every resume starts; at the end
# the student must equal, bit for bit, that of an uninterrupted run of the same config.
#   scripts/fault-kill.sh [CLI] [OUT_DIR] [KILLS]
set -euo pipefail
cli=${1:-build/release/bin/ganstudio-cli}
out=${2:-build/fault-kill}
kills=${3:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out"
cat > "$out/job.json" <<JSON
{"model": "$root/resources/demo/dcgan-fashion-mnist.pt", "method": "content", "selection": {"sparsity": 0.5},
 "score": {"batches": 20}, "data": "fashion-mnist", "deterministic": true,
 "finetune": {"steps": 300, "batch": 16}, "eval": {"enabled": false},
 "checkpoint_every": 10, "sample_every": 25, "log_every": 5, "seed": 1}
JSON
echo "reference: uninterrupted run"
"$cli" compress --config "$out/job.json" --out "$out/reference" > /dev/null 2>&1

check_whole() {
  /usr/bin/python3 - "$1" <<'PY'
import json, os, sys
run = sys.argv[1]
for dirpath, _, files in os.walk(run):
    for f in files:
        p = os.path.join(dirpath, f)
        if f.endswith(".tmp"):
            continue  # an interrupted atomic write: never read, replaced by the next one
        if f.endswith(".json"):
            json.load(open(p))
        elif f == "events.jsonl":
            lines = open(p).read().split("\n")
            for line in lines[:-1]:
                json.loads(line)
        elif f.endswith(".png"):
            data = open(p, "rb").read()
            assert data[-8:-4] == b"IEND", p + " is cut short"
PY
}

run="$out/run"
done_early=0
for ((i = 1; i <= kills; ++i)); do
  args=(compress --config "$out/job.json" --out "$run")
  [[ -f "$run/config.json" ]] && args+=(--resume)
  "$cli" "${args[@]}" > "$out/attempt-$i.log" 2>&1 &
  pid=$!
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 2.7 }')"
  if ! kill -9 "$pid" 2> /dev/null; then
    wait "$pid" || { echo "attempt $i failed:"; cat "$out/attempt-$i.log"; exit 1; }
    done_early=1
    echo "attempt $i finished before its kill"
    break
  fi
  wait "$pid" 2> /dev/null || true
  check_whole "$run" || { echo "after kill $i a file is not whole"; exit 1; }
  step=$(grep -o '"kind":"checkpoint"[^}]*"step":[0-9]*' "$run/events.jsonl" 2> /dev/null | tail -n 1 | grep -oE '[0-9]+$' || echo 0)
  echo "kill $i: files whole; last checkpoint at step ${step:-0}"
done
if [[ $done_early -eq 0 ]]; then
  "$cli" compress --out "$run" --resume > "$out/final.log" 2>&1 || { echo "final resume failed:"; cat "$out/final.log"; exit 1; }
fi
/usr/bin/python3 - "$out/reference/student.pt" "$run/student.pt" <<'PY'
import sys, torch
a, b = torch.load(sys.argv[1]), torch.load(sys.argv[2])
ga, gb = a["netG"], b["netG"]
same = ga.keys() == gb.keys() and all(torch.equal(ga[k], gb[k]) for k in ga)
print("student after kills equals the uninterrupted one:", same)
sys.exit(0 if same else 1)
PY
echo "resumes: $(grep -c '"kind":"resumed"' "$run/events.jsonl")"
