#!/bin/sh
# make-db.sh DB: the sample database of samples/build-sample.sh (Chiang Mai
# and Bangkok boundaries, fictional workplaces, the Khlong Toei Sentinel-2
# scene catalogued as imagery), for the serve tests and the load test.
# Environment: SINSPACE (binary), SINSPACE_GEN (generator), as for
# build-sample.sh; defaults from SINSPACE_BIN / SINSPACE_BUILD_ROOT.
set -eu
db=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${SINSPACE:=${SINSPACE_BIN:-$top/build/src/cli/sinspace}}"
: "${SINSPACE_GEN:=${SINSPACE_BUILD_ROOT:-$top/build}/tools/sinspace-gen}"
export SINSPACE SINSPACE_GEN
SAMPLE_DB=$db "$top/samples/build-sample.sh" >/dev/null
# An older build-sample.sh did not catalogue the scene: do it here then.
if [ "$(sqlite3 "$db" 'SELECT count(*) FROM tiles')" = 0 ]; then
  "$SINSPACE" -q tiles add "$db" "$top/samples/data/sentinel2_khlong_toei.tif" \
    --source "Copernicus Sentinel-2" \
    --attribution "Contains modified Copernicus Sentinel data"
fi
