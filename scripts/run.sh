#!/usr/bin/env bash
# `make run`: the GUI with a checkpoint loaded, or on a machine without a display the CLI on the same checkpoint.
set -euo pipefail
build_dir=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)

# The bundled demo generator when there is one; until then a sample checkpoint from the test fixtures.
model=$(ls "$root"/resources/demo/*.pt 2>/dev/null | head -n 1 || true)
[[ -n "$model" ]] || model="$root/tests/fixtures/namespace_ckpt.pt"

if [[ -x "$build_dir/bin/ganstudio" && ( -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ) ]]; then
  exec "$build_dir/bin/ganstudio" "$model"
fi
echo "No display found: running the command-line demo instead (the GUI needs X11 or Wayland)."
echo
echo "\$ ganstudio-cli info $(basename "$model")"
exec "$build_dir/bin/ganstudio-cli" info "$model"
