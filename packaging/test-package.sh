#!/bin/sh
# The package as a user gets it: builds the .deb with CPack, installs it with dpkg, runs `ganstudio-cli --version`
# and `info` on the demo model from the installed paths, opens the GUI offscreen on it and checks the screenshot, then
# removes the package again unless it was installed before. Needs root or passwordless sudo (exit 77 = skipped).
#   packaging/test-package.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "skipped: installing a package needs root or passwordless sudo"
    exit 77
  fi
fi
(cd "$build" && cpack -G DEB > cpack.log 2>&1) || { cat "$build/cpack.log"; exit 1; }
deb=$(ls -t "$build"/ganstudio_*.deb | head -n 1)
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb --info "$deb" | grep -E "Depends|Installed-Size"

before=$(dpkg-query -W -f='${Status}' ganstudio 2>/dev/null || true)
work=$(mktemp -d)
cleanup() {
  [ "$before" = "install ok installed" ] || $SUDO dpkg -r ganstudio > /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
$SUDO dpkg -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }

# From a folder outside the build and source trees, with no resource override: only installed files can serve.
cd "$work"
unset GANSTUDIO_RESOURCES || true
demo=/usr/share/ganstudio/demo/dcgan-fashion-mnist.pt
for f in /usr/bin/ganstudio /usr/bin/ganstudio-cli "$demo" /usr/share/ganstudio/extractors/builtin-fashion-mnist.pt \
         /usr/share/applications/ganstudio.desktop /usr/share/icons/hicolor/scalable/apps/ganstudio.svg; do
  [ -f "$f" ] || { echo "not installed: $f"; exit 1; }
done
/usr/bin/ganstudio-cli --version
/usr/bin/ganstudio-cli info "$demo" > info.txt
grep -q "dcgan" info.txt || { cat info.txt; echo "info does not name the architecture"; exit 1; }
/usr/bin/ganstudio-cli generate --model "$demo" --n 4 --seed 0 --grid grid.png
[ -s grid.png ] || { echo "no grid from the installed CLI"; exit 1; }
QT_QPA_PLATFORM=offscreen /usr/bin/ganstudio --screenshot shot.png "$demo"
[ -s shot.png ] || { echo "the installed GUI wrote no screenshot"; exit 1; }
echo "installed package: CLI, demo model and GUI work"
