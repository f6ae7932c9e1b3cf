#!/bin/sh
# test_layout_pages.sh: the sample's atlases and maps at A4 portrait, A4
# landscape and A3, each page's --layout-report checked by an independent
# reader (check_layout.py: no text over another, none off the page, none
# cut short, no word broken, no title or credit refused), and two golden
# pages (one A4, one A3) compared by mean difference (compare_golden.py).
set -eu
B=${SINSPACE_BIN:?}
SRC=${SINSPACE_SOURCE_ROOT:?}
BUILD=${SINSPACE_BUILD_ROOT:?}
PY=/usr/bin/python3
D=$SRC/tests/data/render
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
fail() { echo "FAIL: $*"; echo "layout_pages: $passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); }

DB=$T/sample.sqlite
SINSPACE=$B SINSPACE_GEN=$BUILD/tools/sinspace-gen SAMPLE_DB=$DB \
  "$SRC/samples/build-sample.sh" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "sample"; }
G="--generated-at 2026-12-08T00:00Z"

# The Chiang Mai atlas, A4 portrait: 26 pages, and the Thai name of Chai
# Prakan whole on its page.
"$B" -q atlas "$DB" -o "$T/cm.pdf" --province "Chiang Mai" --dpi 60 $G \
  --layout-report "$T/cm.json" || fail "atlas Chiang Mai"
$PY "$D/check_layout.py" "$T/cm.json" --pages 26 --expect-text "ไชยปราการ" \
  --expect-text "Boundaries: RTSD" || fail "atlas Chiang Mai A4 layout"
ok
for paper in "A4 --landscape" "A3"; do
  "$B" -q atlas "$DB" -o "$T/cm2.pdf" --province "Chiang Mai" --dpi 40 $G \
    --paper $paper --layout-report "$T/cm2.json" --overwrite || fail "atlas $paper"
  $PY "$D/check_layout.py" "$T/cm2.json" --pages 26 || fail "atlas Chiang Mai $paper layout"
  ok
done
# Bangkok: every page, then --skip-empty --sort risk (the overview and the
# one district with workplaces, Khlong Toei, in the darkest class).
"$B" -q atlas "$DB" -o "$T/bk.pdf" --province Bangkok --dpi 40 $G \
  --layout-report "$T/bk.json" --no-basemap || fail "atlas Bangkok"
$PY "$D/check_layout.py" "$T/bk.json" --pages 51 || fail "atlas Bangkok layout"
ok
"$B" -q atlas "$DB" -o "$T/bk2.pdf" --province Bangkok --dpi 40 $G \
  --skip-empty --sort risk --layout-report "$T/bk2.json" || fail "atlas Bangkok skip-empty"
$PY "$D/check_layout.py" "$T/bk2.json" --pages 2 --expect-text "Khlong Toei" \
  --expect-text "date unknown" --expect-text "No emerging hot-spot run" \
  || fail "atlas Bangkok --skip-empty layout"
ok

# Maps: Khlong Toei and the Chiang Mai province, A3 landscape, A4 portrait
# and landscape; local names as labels at every scale.
for area in "Khlong Toei" "Chiang Mai" chiang-mai/hang-dong chiang-mai/mae-rim; do
  for paper in "A3 --landscape" "A4" "A4 --landscape" "A3"; do
    "$B" -q map "$DB" --area "$area" -o "$T/m.pdf" --paper $paper --dpi 40 $G \
      --layout-report "$T/m.json" --overwrite || fail "map $area $paper"
    $PY "$D/check_layout.py" "$T/m.json" --pages 1 || fail "map $area $paper layout"
    ok
  done
done
"$B" -q map "$DB" --area "Khlong Toei" -o "$T/l.pdf" --dpi 40 $G --label name_local \
  --layout-report "$T/l.json" || fail "map --label name_local"
$PY - "$T/l.json" <<'PYEOF' || fail "--label name_local at 1:50,000: no local label"
import json, sys
r = json.load(open(sys.argv[1]))
labels = [i for i in r["pages"][0]["items"] if i["kind"] == "label"]
thai = [i for i in labels if any("\u0e00" <= ch <= "\u0e7f" for ch in i["text"])]
print("name_local labels: %d of %d" % (len(thai), len(labels)))
sys.exit(0 if thai else 1)
PYEOF
ok

# Golden pages: one A4, one A3 (PNG, fixed time, no imagery-free drift).
"$B" -q map "$DB" --area "Khlong Toei" -o "$T/g4.png" --dpi 50 $G || fail "golden A4 map"
$PY "$D/compare_golden.py" "$T/g4.png" "$SRC/tests/data/golden/khlong_toei_a4.png" 3 \
  || fail "golden A4"
ok
"$B" -q map "$DB" --area chiang-mai/hang-dong -o "$T/g3.png" --paper A3 --landscape --dpi 40 $G \
  || fail "golden A3 map"
$PY "$D/compare_golden.py" "$T/g3.png" "$SRC/tests/data/golden/hang_dong_a3.png" 3 \
  || fail "golden A3"
ok
# With an emerging hot-spot run: Khlong Toei's page lists its new and
# intensifying hot spots; the counts are those of hotspots --emerging's CSV
# (the sample's are all in Khlong Toei), and the first new one is named.
"$B" -q hotspots "$DB" --emerging --step year --band 500m --format csv >"$T/em.csv" \
  || fail "hotspots --emerging"
nnew=$(grep -c ',new hot spot,' "$T/em.csv" || true)
nint=$(grep -c ',intensifying hot spot,' "$T/em.csv" || true)
[ "$nnew" -gt 0 ] || fail "the sample has no new hot spot"
first=$(grep ',new hot spot,' "$T/em.csv" | sort | head -1 | cut -d, -f1)
if [ "$nint" -gt 0 ]; then wint="Intensifying hot spots ($nint)"; else wint="Intensifying hot spots: none."; fi
for paper in "A4" "A4 --landscape" "A3"; do
  "$B" -q atlas "$DB" -o "$T/bk3.pdf" --province Bangkok --dpi 40 $G --paper $paper \
    --skip-empty --sort risk --layout-report "$T/bk3.json" --overwrite \
    || fail "atlas Bangkok with an emerging run, $paper"
  $PY "$D/check_layout.py" "$T/bk3.json" --pages 2 --expect-text "New hot spots ($nnew)" \
    --expect-text "$wint" --expect-text "$first" \
    || fail "atlas Bangkok with an emerging run, $paper layout"
  ok
done
# With the hot-spot zones: Z<id> labels through the same model (no pile).
# The sample's risk has no Gi* hot spot at 95 % after FDR; at 95 % without
# FDR it has 19 zones: Z1 in Khlong Toei, Z2 in Chiang Mai city.
"$B" -q zones "$DB" --confidence 95 --no-fdr >/dev/null || fail "zones"
for az in "Chiang Mai:Z2" "Khlong Toei:Z1"; do
  area=${az%%:*}
  "$B" -q map "$DB" --area "$area" -o "$T/z.pdf" --dpi 40 $G \
    --layout-report "$T/z.json" --overwrite || fail "map $area with zones"
  $PY "$D/check_layout.py" "$T/z.json" --pages 1 --expect-text "${az#*:}" \
    || fail "map $area with zones layout"
  ok
done
echo "layout_pages: $passed passed, 0 failed"
