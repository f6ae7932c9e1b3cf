#!/bin/bash
# build-sample.sh: builds the sample database samples/sinspace-sample.sqlite
# from scratch: the Chiang Mai and Bangkok boundaries of samples/data and the
# fictional workplaces sinspace-gen writes.  Running it again gives the same
# database content (dates of import and audit rows aside).
#
# Environment:
#   SINSPACE      the sinspace binary   (default: build/src/cli/sinspace)
#   SINSPACE_GEN  the generator         (default: build/tools/sinspace-gen)
#   SAMPLE_DB     the database to write (default: samples/sinspace-sample.sqlite)
# Relative defaults are taken from the top of the source tree.
set -eu
set -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
data="$here/data"
sinspace=${SINSPACE:-$top/build/src/cli/sinspace}
gen=${SINSPACE_GEN:-$top/build/tools/sinspace-gen}
db=${SAMPLE_DB:-$here/sinspace-sample.sqlite}

for exe in "$sinspace" "$gen"; do
    if [ ! -x "$exe" ]; then
        echo "build-sample.sh: $exe is not an executable; build first" \
             "(meson setup build && meson compile -C build)" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sinspace-sample.XXXXXX")
trap 'rm -rf "$work"' EXIT

boundaries="RTSD / OCHA (HDX COD-AB, CC BY-IGO), simplified by Sompobch (thailand-geojson-topojson)"
bangkok="Bangkok districts (khet) shapefile via pcrete/gsvloader-demo and TomLeeLive/Gaia3D-mago3d-doc"

rm -f "$db" "$db-journal" "$db-wal" "$db-shm" "$db.key"
"$sinspace" init "$db"
"$sinspace" import "$db" --level province --source "$boundaries" \
    "$data/chiang_mai_province.geojson" "$data/bangkok_province.geojson"
"$sinspace" import "$db" --level district --source "$boundaries" \
    "$data/chiang_mai_amphoe.geojson"
"$sinspace" import "$db" --level subdistrict --source "$boundaries" \
    "$data/chiang_mai_tambon.geojson"
"$sinspace" import "$db" --level district --code-field dcode \
    --name-field dname_e --name-local-field dname --source "$bangkok" \
    "$data/bangkok_districts.geojson"
# The water of Khlong Toei (its polygons; the canals drawn as lines are
# skipped): public exports keep displaced points out of it.
"$sinspace" import "$db" --as water \
    --source "Water: (c) OpenStreetMap contributors, via Overture Maps Foundation" \
    "$data/water_khlong_toei.geojson"
"$gen" sample --data "$data" --out "$work"
"$sinspace" import "$db" "$work/workplaces.csv"
# Three fictional responders (two covering Khlong Toei, one Chiang Dao);
# their phone numbers and e-mails are sealed with the key init made
# ($db.key).
"$sinspace" responders import "$db" "$data/responders.csv"
# The real Sentinel-2 scene of Khlong Toei.  Its file records no acquisition
# date, so none is claimed: maps say the date is unknown.
"$sinspace" tiles add "$db" "$data/sentinel2_khlong_toei.tif" \
    --source "Copernicus Sentinel-2 (true colour, 10 m)" \
    --attribution "Contains modified Copernicus Sentinel data"
"$sinspace" info "$db"
