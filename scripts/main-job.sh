#!/bin/sh
# The main job on the sample database, as a surveillance team runs it:
# the high-risk zones of the whole sample (kept in the zones layer the maps
# draw), the Khlong Toei district risk map over its Sentinel-2 imagery (A3
# landscape, PDF and georeferenced PNG) and the Chiang Mai district atlas.
set -eu
cd "$(dirname "$0")/.."
SINSPACE=${SINSPACE:-build/src/cli/sinspace}
DB=samples/sinspace-sample.sqlite
OUT=samples/out
mkdir -p "$OUT"
"$SINSPACE" info "$DB"
# Default parameters (1 km bandwidth, threshold of 5 high-risk workplaces
# within it): they find zones in Khlong Toei and in Chiang Mai.
"$SINSPACE" zones "$DB"
# --overwrite: the job is run again on the same checkout (setup.sh), and
# map and atlas keep an existing file without it.
"$SINSPACE" map "$DB" --area "Khlong Toei" --paper A3 --landscape --overwrite \
    -o "$OUT/khlong-toei.pdf"
"$SINSPACE" map "$DB" --area "Khlong Toei" --paper A3 --landscape --dpi 300 \
    --overwrite -o "$OUT/khlong-toei.png"
"$SINSPACE" atlas "$DB" --level district --province "Chiang Mai" --overwrite \
    -o "$OUT/chiang-mai-atlas.pdf"
ls -l "$OUT"
