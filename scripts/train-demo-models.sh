#!/bin/sh
# Retrains the demo models bundled in resources/demo exactly as shipped, and their sample grids in docs/demo.
# usage: scripts/train-demo-models.sh [BUILD_DIR] [MODEL...]   (models: dcgan pix2pix stylegan2; default: all)
# Runs on the CPU in the deterministic mode, so the same commands give the same files.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
[ $# -gt 0 ] && shift
CLI=$BUILD/bin/ganstudio-cli
MODELS=${*:-dcgan pix2pix stylegan2}
OUT=resources/demo
SAMPLES=$BUILD/demo-samples
mkdir -p "$OUT" docs/demo "$SAMPLES"

for m in $MODELS; do
  case $m in
  dcgan)
    "$CLI" pretrain --arch dcgan --data fashion-mnist --size 32 --channels 1 --steps 3000 --batch 64 --seed 1 \
      --options '{"ngf": 32}' --d-options '{"ndf": 32}' --deterministic \
      --samples "$SAMPLES/dcgan" --sample-every 500 --checkpoint-every 500 --out "$OUT/dcgan-fashion-mnist.pt"
    "$CLI" generate --model "$OUT/dcgan-fashion-mnist.pt" --n 64 --seed 0 --grid docs/demo/dcgan-fashion-mnist.png
    ;;
  stylegan2)
    "$CLI" pretrain --arch stylegan2 --data fashion-mnist --size 32 --steps 3000 --batch 16 --seed 1 \
      --options '{"style_dim": 64, "n_mlp": 2, "widths": {"input": 80, "conv1": 80, "convs.0": 80, "convs.1": 80,
                  "convs.2": 80, "convs.3": 80, "convs.4": 80, "convs.5": 80}}' \
      --d-options '{"widths": {"4": 64, "8": 64, "16": 64, "32": 64}}' --deterministic \
      --samples "$SAMPLES/stylegan2" --sample-every 250 --checkpoint-every 250 --out "$OUT/stylegan2-fashion-mnist.pt"
    "$CLI" generate --model "$OUT/stylegan2-fashion-mnist.pt" --n 64 --seed 0 --grid docs/demo/stylegan2-fashion-mnist.png
    ;;
  pix2pix)
    # Noto emoji from the npm package emoji-datasource-google (the only download; skin-tone variants left out, their
    # edges are the same), as Canny edge | image pairs: a sketch-to-emoji model.
    EMOJI=$BUILD/emoji
    if [ ! -d "$EMOJI/package" ]; then
      mkdir -p "$EMOJI"
      (cd "$EMOJI" && npm pack --silent emoji-datasource-google@16.0.0 > /dev/null && tar xzf emoji-datasource-google-16.0.0.tgz)
    fi
    rm -rf "$EMOJI/subset" "$EMOJI/pairs"
    mkdir -p "$EMOJI/subset"
    for f in "$EMOJI"/package/img/google/64/*.png; do
      case "$f" in *1f3f[b-f]*) ;; *) cp "$f" "$EMOJI/subset/" ;; esac
    done
    "$CLI" edges --images "$EMOJI/subset" --out "$EMOJI/pairs" --size 64
    "$CLI" pretrain --arch pix2pix --data "$EMOJI/pairs" --size 64 --channels 3 --steps 5000 --batch 8 --seed 1 \
      --options '{"ngf": 16}' --d-options '{"ndf": 16}' --deterministic \
      --samples "$SAMPLES/pix2pix" --sample-every 500 --checkpoint-every 500 --out "$OUT/pix2pix-emoji-edges.pt"
    cp "$SAMPLES/pix2pix/step-005000.png" docs/demo/pix2pix-emoji-edges.png
    # Its inputs for fine-tuning in the GUI (File -> Open Demo Model fills them in): 256 edge drawings.
    mkdir -p resources/data
    "$CLI" cache --data "$EMOJI/pairs" --layout paired --size 64 --channels 3 --limit 256 \
      --out resources/data/pix2pix-emoji-edges.pt
    ;;
  *) echo "unknown demo model '$m' (dcgan, pix2pix, stylegan2)" >&2; exit 2 ;;
  esac
done
rm -f "$OUT"/*.state
