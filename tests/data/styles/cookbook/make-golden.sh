#!/bin/sh
# Writes golden/*.png: the cookbook styles drawn by sinspace over the
# Khlong Toei sample store, at 60 dpi, without imagery or labels, at a
# fixed time.  Run after a deliberate change of how styles draw, look at
# the images, and commit them:
#   tests/data/styles/cookbook/make-golden.sh build/src/cli/sinspace
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$here/../../render/make-khlong-toei-db.sh" "$bin" "$tmp/kt.db" >/dev/null 2>&1
mkdir -p "$here/golden"
for s in point_simplepointwithstroke point_rotatedsquare point_transparenttriangle; do
  "$bin" -q map "$tmp/kt.db" -o "$tmp/$s.png" --style "$here/$s.sld" \
    --bbox 100.54,13.69,100.6,13.74 --dpi 60 --no-basemap --no-labels \
    --generated-at 2026-01-01T00:00:00Z --marking "" --overwrite
  cp "$tmp/$s.png" "$here/golden/$s.png"
done
