#!/bin/sh
# test_hostile.sh: hostile inputs (tests/data/hostile/) through the two
# doors that read polygons, `query --within` and `import --as areas`:
# nothing is repaired silently, each fault is named once, precisely, in the
# same words by both, and a refused import leaves the database byte for
# byte as it was.  The same files are in the region fuzzer's corpus.
#
# The hole case is checked against an independent reader: the sqlite3
# shell's SpatiaLite says the point lies in the hole of the polygon as
# written (with the hole), so returning it would be wrong.
set -eu
B=${SINSPACE_BIN:?}
SRC=${SINSPACE_SOURCE_ROOT:?}
H=$SRC/tests/data/hostile
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
fail() { echo "FAIL: $*"; echo "hostile: $passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); }

DB=$T/db.sqlite
"$B" -q init "$DB"
"$B" -q import "$DB" "$H/hole_points.csv"

# expect RC MESSAGE -- command...: exit status RC, MESSAGE on stderr, and
# nothing on stdout when it fails.
expect() {
  want_rc=$1 want_msg=$2
  shift 3
  rc=0
  "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ "$rc" = "$want_rc" ] || fail "$* exited $rc, not $want_rc: $(cat "$T/err")"
  grep -qF -- "$want_msg" "$T/err" || fail "$*: expected '$want_msg' in: $(cat "$T/err")"
  if [ "$rc" != 0 ] && [ -s "$T/out" ]; then fail "$*: printed on failure: $(cat "$T/out")"; fi
  ok
}
q() { "$B" query "$DB" --format ids --within "$@"; }
imp() { "$B" import "$DB" --as areas --level district "$@"; }

HOLE="feature 1: polygon 1, ring 2 (hole 1), position 5: [100.2] has 1 number; a position is [lon, lat]"
expect 3 "$HOLE" -- q "$H/multipolygon_hole_short_position.geojson"
expect 3 "$HOLE" -- q "$H/multipolygon_hole_short_position.geojson" --make-valid
expect 3 "feature 1 (Holey): polygon 1, ring 2 (hole 1), position 5: [100.2] has 1 number" \
  -- imp "$H/multipolygon_hole_short_position.geojson"
expect 3 "[100.2] has 1 number" -- imp "$H/multipolygon_hole_short_position.geojson" --make-valid

# Independent check: with its hole, the polygon does not hold H1.
if command -v spatialite >/dev/null 2>&1; then
  inside=$(spatialite -batch -bail "$T/x.sqlite" "SELECT ST_Contains(GeomFromText(
    'MULTIPOLYGON(((100 0,101 0,101 1,100 1,100 0),(100.2 0.2,100.8 0.2,100.8 0.8,100.2 0.8,100.2 0.2)))'),
    MakePoint(100.5, 0.5))" 2>/dev/null | tail -1)
  [ "$inside" = 0 ] || fail "spatialite says the hole point is inside ($inside)"
  ok
fi

UNCLOSED="ring 1 (the outer ring): not closed: starts at [100,0], ends at [100,1]"
expect 3 "feature 1: $UNCLOSED" -- q "$H/ring_unclosed.geojson"
expect 3 "feature 1 (Open): $UNCLOSED" -- imp "$H/ring_unclosed.geojson"
expect 0 "closed an unclosed ring" -- q "$H/ring_unclosed.geojson" --make-valid
expect 0 "$UNCLOSED" -- imp "$H/ring_unclosed.geojson" --make-valid --code-field name
expect 3 "ring 1 (the outer ring): 3 positions; a ring needs at least 4" -- q "$H/ring_too_short.geojson"
expect 3 "ring 1 (the outer ring): 3 positions; a ring needs at least 4" -- imp "$H/ring_too_short.geojson"
expect 3 'position 2: [101,"0"] holds a string' -- q "$H/position_string.geojson"

# A self-crossing ring: the same words from both doors; --make-valid on
# import repairs it and says what changed.
expect 3 "feature 1: invalid polygon: self-intersection at 100.5 0.5 (fix it, or repair it with --make-valid)" \
  -- q "$H/bowtie.geojson"
expect 3 "feature 1 (Bowtie): invalid polygon: self-intersection at 100.5 0.5 (fix it, or repair it with --make-valid)" \
  -- imp "$H/bowtie.geojson"
expect 0 "feature 1 (Bowtie): repaired an invalid polygon (self-intersection at 100.5 0.5): now 2 polygons" \
  -- imp "$H/bowtie.geojson" --make-valid
# Areas at the equator: no RTTOPO noise, and the area right (against
# SpatiaLite's own ellipsoidal ST_Area on the stored polygon, to 1e-4:
# RTTOPO's spheroid area is an approximation, 25 ppm off here).
grep -q RTTOPO "$T/err" && fail "RTTOPO noise: $(cat "$T/err")"
if command -v spatialite >/dev/null 2>&1; then
  d=$(spatialite -batch -bail "$DB" "SELECT abs(area_km2 - ST_Area(geom, 1) / 1e6) < 1e-4 * area_km2
        FROM areas WHERE name_latin = 'Fine'" 2>/dev/null | tail -1)
  [ "$d" = 1 ] || fail "area_km2 differs from SpatiaLite's ST_Area: $d"
fi
ok

# File-level faults name their cause.
for door in q imp; do
  expect 3 "empty_object.json: not GeoJSON: an empty object {}" -- $door "$H/empty_object.json"
  expect 3 "null.json: not GeoJSON: the text is null" -- $door "$H/null.json"
  expect 3 'not GeoJSON: unknown type "Polgon"' -- $door "$H/type_polgon.geojson"
  expect 3 "truncated.geojson: not JSON: expected ',' or ']' at the end of the text" -- $door "$H/truncated.geojson"
  expect 3 "a directory" -- $door "$T"
  expect 3 "/dev/zero: a device" -- $door /dev/zero
  expect 3 "random_bytes.bin: not a" -- $door "$H/random_bytes.bin"
done
expect 3 'feature 1: unknown geometry type "Polgon"' -- q "$H/feature_type_polgon.geojson"

# Refused imports left the database as it was: only the CSV's workplaces,
# and the areas of the two --make-valid imports that succeeded.
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM areas')" = 3 ] \
  || fail "areas: $(sqlite3 "$DB" 'SELECT code FROM areas')"
ok
# CSV rows: every fault of a row at once, numbers as written, bidi
# controls refused like C0 controls.
DB2=$T/rows.sqlite
"$B" -q init "$DB2"
rows() { "$B" import "$DB2" "$@"; }
expect 3 "line 2: name: bidirectional control character U+202E at byte 11" -- rows "$H/row_many_faults.csv"
grep -qF "latitude 1e308 is out of range -90..90; risk 3.0000001 is outside 1.0..3.0" "$T/err" \
  || fail "not every fault, or not as written: $(cat "$T/err")"
ok
expect 0 "skipped: $H/row_many_faults.csv: line 2: latitude 1e308" \
  -- rows "$H/row_many_faults.csv" --allow-bidi --skip-invalid "$T/rej.csv"
grep -qF "1 skipped (written to $T/rej.csv)" "$T/err" || fail "no skipped count: $(cat "$T/err")"
ok

# The same id and date twice in one file: an error naming both lines; with
# --last-wins a warning, and the counts reported are the rows stored.
expect 3 "line 4: id 'D1' observed 2024-01-02 was given already at line 2" -- rows "$H/duplicate_id_date.csv"
[ "$(sqlite3 "$DB2" 'SELECT count(*) FROM workplaces')" = 0 ] || fail "refused file wrote rows"
expect 0 "line 4: id 'D1' observed 2024-01-02 was given already at line 2; this row replaces it (--last-wins)" \
  -- rows "$H/duplicate_id_date.csv" --last-wins
grep -qF "4 rows: 2 new, 0 updated, 3 observations" "$T/err" || fail "counts: $(cat "$T/err")"
[ "$(sqlite3 "$DB2" 'SELECT count(*) FROM observations')" = 3 ] || fail "observations stored"
[ "$(sqlite3 "$DB2" "SELECT risk FROM observations WHERE observed = '2024-01-02' AND workplace_id = (SELECT id FROM workplaces WHERE ext_id = 'D1')")" = 2.7 ] \
  || fail "the last row did not win"
[ "$(sqlite3 "$DB2" "SELECT sector FROM workplaces WHERE ext_id = 'D1'")" = fishing ] || fail "sector case"
ok

# A field that cannot be stored is warned about.
expect 0 "line 2: observer 'Observer Ann' is not stored: the row has no risk or indicator score" \
  -- rows "$H/observer_no_score.csv"
echo "hostile: $passed passed, 0 failed"
