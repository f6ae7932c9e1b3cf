#!/bin/sh
# Builds the Khlong Toei sample store the render tests use, for trying
# `sinspace map` and `sinspace atlas` by hand:
#   tests/data/render/make-khlong-toei-db.sh build/src/cli/sinspace /tmp/kt.db
# Areas: Bangkok (RTSD/OCHA via HDX COD-AB) and the districts around Khlong
# Toei (Bangkok districts of pcrete/gsvloader-demo), see
# /work/shared/data/PROVENANCE.md; workplaces are fictional; the tile is the
# Sentinel-2 scene of tests/data/rasters (Contains modified Copernicus
# Sentinel data).
set -eu
bin=$1
db=$2
here=$(cd "$(dirname "$0")" && pwd)
tif=$(cd "$here/../rasters" && pwd)/sentinel2_khlong_toei.tif
"$bin" -q init "$db"
"$bin" -q import "$db" "$here/bangkok_province.geojson" --level province \
  --code-field ADM1_EN --source "RTSD / OCHA (HDX COD-AB)"
"$bin" -q import "$db" "$here/bangkok_khlong_toei_districts.geojson" --level district \
  --name-field dname_e --name-local-field dname --code-field dcode
"$bin" -q import "$db" "$here/workplaces_khlong_toei.csv"
if "$bin" help tiles >/dev/null 2>&1; then
  "$bin" -q tiles add "$db" "$tif" --date 2023-01-05 --source Sentinel-2 \
    --attribution "Contains modified Copernicus Sentinel data" 2>/dev/null && exit 0
fi
sqlite3 -cmd ".load mod_spatialite" "$db" "INSERT INTO tiles(path, driver, crs,
  width, height, bands, pixel_size, pixel_size_m, acquired, source, attribution,
  added, footprint) VALUES ('$tif', 'GTiff', 'EPSG:32647', 553, 504, 3, 10, 10,
  '2023-01-05', 'Sentinel-2', 'Contains modified Copernicus Sentinel data',
  strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), CastToMultiPolygon(ST_Transform(
  BuildMbr(667670, 1514780, 673200, 1519820, 32647), 4326)))" >/dev/null
