#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang, ASan + UBSan) and runs each for SECONDS (default 60) on a copy
# of the committed seed corpus; prints executions and crashes per target. Crash inputs land in build/fuzz/crashes/.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake --preset fuzz > /dev/null
cmake --build --preset fuzz -j "$(nproc)"
mkdir -p build/fuzz/crashes
status=0
printf '| target | seconds | executions | crashes |\n|---|---|---|---|\n' > build/fuzz/summary.md
for target in checkpoint safetensors npy; do
  work=build/fuzz/corpus/$target
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/$target/* "$work/" 2> /dev/null || true
  log=build/fuzz/$target.log
  set +e
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build/fuzz/bin/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/crashes/$target-" "$work" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  crashes=$(find build/fuzz/crashes -name "$target-*" | wc -l)
  printf '| %s | %s | %s | %s |\n' "$target" "$seconds" "$execs" "$crashes" >> build/fuzz/summary.md
  [[ $rc -ne 0 ]] && { status=1; echo "fuzz_$target stopped with $rc; see $log" >&2; }
done
cat build/fuzz/summary.md
exit $status
