#!/bin/sh
# make-db.sh DB: the sample database of samples/build-sample.sh (Chiang Mai
# and Bangkok boundaries, fictional workplaces) with the Khlong Toei
# Sentinel-2 scene registered as imagery, for the serve tests.
# Environment: SINSPACE (binary), SINSPACE_GEN (generator), as for
# build-sample.sh; defaults from SINSPACE_BIN / SINSPACE_BUILD_ROOT.
set -eu
db=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${SINSPACE:=${SINSPACE_BIN:-$top/build/src/cli/sinspace}}"
: "${SINSPACE_GEN:=${SINSPACE_BUILD_ROOT:-$top/build}/tools/sinspace-gen}"
export SINSPACE SINSPACE_GEN
SAMPLE_DB=$db "$top/samples/build-sample.sh" >/dev/null
tif="$top/samples/data/sentinel2_khlong_toei.tif"
if "$SINSPACE" help tiles >/dev/null 2>&1; then
  "$SINSPACE" -q tiles add "$db" "$tif" --date 2023-01-05 --source Sentinel-2 \
    --attribution "Contains modified Copernicus Sentinel data" 2>/dev/null && exit 0
fi
# Without the tiles command (branch tiles not merged yet): the same row by
# hand; the scene covers 667670..673200 E, 1514780..1519820 N in UTM 47N.
sqlite3 -cmd ".load mod_spatialite" "$db" "INSERT INTO tiles(path, driver, crs,
  width, height, bands, pixel_size, pixel_size_m, acquired, source, attribution,
  added, footprint) VALUES ('$tif', 'GTiff', 'EPSG:32647', 553, 504, 3, 10, 10,
  '2023-01-05', 'Sentinel-2', 'Contains modified Copernicus Sentinel data',
  strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), CastToMultiPolygon(ST_Transform(
  BuildMbr(667670, 1514780, 673200, 1519820, 32647), 4326)))" >/dev/null
