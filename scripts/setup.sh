#!/bin/sh
# The README's first command: installs what sinspace needs, builds it,
# builds the sample database and runs the main job on it.  Run as root on
# Debian 12 from anywhere inside the checkout.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps-debian.sh
if [ -x scripts/deps-npm.sh ]; then ./scripts/deps-npm.sh; fi
if [ -d build ]; then
  meson setup --reconfigure build --buildtype=release >/dev/null
else
  meson setup build --buildtype=release >/dev/null
fi
meson compile -C build
./samples/build-sample.sh
./scripts/main-job.sh
