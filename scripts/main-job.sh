#!/bin/sh
# The main job on the sample database, as a surveillance team runs it:
# the Khlong Toei district risk map over its Sentinel-2 imagery (A3
# landscape, PDF and georeferenced PNG) and the Chiang Mai district atlas.
set -eu
cd "$(dirname "$0")/.."
SINSPACE=${SINSPACE:-build/src/cli/sinspace}
DB=samples/sinspace-sample.sqlite
OUT=samples/out
mkdir -p "$OUT"
"$SINSPACE" info "$DB"
"$SINSPACE" map "$DB" --area "Khlong Toei" --paper A3 --landscape -o "$OUT/khlong-toei.pdf"
"$SINSPACE" map "$DB" --area "Khlong Toei" --paper A3 --landscape --dpi 300 -o "$OUT/khlong-toei.png"
"$SINSPACE" atlas "$DB" --level district --province "Chiang Mai" -o "$OUT/chiang-mai-atlas.pdf"
ls -l "$OUT"
