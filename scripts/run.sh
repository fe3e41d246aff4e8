#!/usr/bin/env bash
# `make run`: the GUI with the bundled demo generator loaded, or on a machine without a display the CLI demo on it.
set -euo pipefail
build_dir=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
model="$root/resources/demo/dcgan-fashion-mnist.pt"

if [[ -x "$build_dir/bin/ganstudio" && ( -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ) ]]; then
  exec "$build_dir/bin/ganstudio" --guide "$model"
fi
cli="$build_dir/bin/ganstudio-cli"
grid="$build_dir/demo-samples.png"
echo "No display found: running the command-line demo instead (the GUI needs X11 or Wayland)."
echo
echo "\$ ganstudio-cli info resources/demo/$(basename "$model")"
"$cli" info "$model" | sed '/^  name /,/^$/d' # the summary without the per-tensor table
echo
echo "\$ ganstudio-cli generate --model resources/demo/$(basename "$model") --n 64 --seed 0 --grid $grid"
"$cli" generate --model "$model" --n 64 --seed 0 --grid "$grid"
echo
run="$build_dir/demo-run"
rm -rf "$run"
cat > "$build_dir/demo-run.json" <<JSON
{"model": "$model", "method": "norm", "selection": {"sparsity": 0.5}, "data": "fashion-mnist",
 "finetune": {"steps": 200, "batch": 16}, "eval": {"n": 500, "every": 100}, "sample_every": 100}
JSON
echo "\$ ganstudio-cli compress --config $build_dir/demo-run.json --out $run"
"$cli" compress --config "$build_dir/demo-run.json" --out "$run"
sed -n '1,/^## Fine-tuning/p' "$run/report.md" | head -n -1
