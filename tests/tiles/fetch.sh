#!/bin/sh
# fetch.sh: tile services and offline packages without the internet
# (docs/imagery.md).  A loopback XYZ server (tileserver.py, 127.0.0.1, a
# free port, always stopped) serves tiles gdal2tiles.py cut from the sample
# Sentinel-2 scene of Khlong Toei.  Checks: the service is catalogued from
# its template alone (no request) and its header is never printed; a map
# through the service asks no tile twice (GDAL's cache); tiles fetch makes
# a 0600 package for area 1033 at zoom 15; an interrupted fetch resumes
# without asking again for the tiles it has; a 500 and a timeout give a
# clear error and a package GDAL still opens; with the server stopped,
# `map --area 1033` draws the package where gdalwarp of the package puts
# it (compare.py: per-channel means of patches within 12).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SINSPACE_BIN:-$top/build/src/cli/sinspace}
py=/usr/bin/python3
command -v gdal2tiles.py >/dev/null 2>&1 || { echo "SKIP: gdal2tiles.py (gdal-bin)"; exit 77; }
$py -c 'import numpy, PIL, osgeo' 2>/dev/null || { echo "SKIP: python3 numpy/PIL/osgeo"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sinspace-tiles.XXXXXX")
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_server [ARGS...]: the tile server on a free loopback port, the same
# one again after a restart (the catalogue keeps the URL); sets port.
port=
start_server() {
  rm -f "$work/port"
  $py "$top/tests/tiles/tileserver.py" "$work/xyz" "$work/port" "$work/requests.log" \
    ${port:+--port "$port"} "$@" \
    >"$work/server.err" 2>&1 &
  server_pid=$!
  i=0
  while [ ! -s "$work/port" ]; do
    i=$((i + 1))
    [ $i -le 100 ] && kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; fail "tile server did not start"; }
    sleep 0.1
  done
  port=$(cat "$work/port")
}

cd "$work"
gdal2tiles.py --xyz -z 13-15 -w none -q --processes=1 \
  "$top/samples/data/sentinel2_khlong_toei.tif" xyz >/dev/null 2>&1 ||
  fail "gdal2tiles.py could not cut the sample scene"
SINSPACE_BIN=$bin sh "$top/tests/web/make-db.sh" "$work/db.sqlite" 2>"$work/make-db.log" ||
  { cat "$work/make-db.log" >&2; fail "sample database"; }
db=$work/db.sqlite
# Only the service and its package: the Sentinel-2 file would be finer
# than nothing but is not what these checks look at.
"$bin" -q tiles rm "$db" 1

# 1. Catalogue the service: no request at all, header kept secret.
start_server
: >requests.log
url="http://127.0.0.1:$port/{z}/{x}/{y}.png"
"$bin" tiles add "$db" "$url" --max-zoom 15 --source "loopback XYZ" \
  --attribution "Test tiles cut from Copernicus Sentinel-2" \
  --header "X-Api-Key: s3cret-key" 2>add.err || { cat add.err; fail "tiles add"; }
[ ! -s requests.log ] || fail "tiles add made $(wc -l <requests.log) request(s)"
"$bin" tiles add "$db" "http://127.0.0.1:$port/tiles.png" --attribution x 2>bad.err && fail "a template without {z}/{x}/{y} was accepted"
grep -q "{z}" bad.err || fail "bad template message: $(cat bad.err)"
"$bin" tiles add "$db" "http://127.0.0.1:$port/{z}/{x}/{y}.jpg" 2>bad.err && fail "a service without --attribution was accepted"
"$bin" tiles list "$db" >list.out
grep -q "127.0.0.1:$port" list.out || fail "service not listed"
for f in list.out add.err bad.err; do
  grep -q s3cret "$f" && fail "the header value shows in $f"
done
sqlite3 "$db" "SELECT target FROM audit" | grep -q s3cret && fail "the header value is in the audit trail"
# A WMTS with two layers: listed, then chosen with --layer; GDAL reads the
# capabilities only (no tile).
$py "$top/tests/tiles/wmts_caps.py" "http://127.0.0.1:$port" 15 --two >xyz/wmts.xml
: >requests.log
caps="http://127.0.0.1:$port/wmts.xml?SERVICE=WMTS&REQUEST=GetCapabilities"
rc=0
"$bin" tiles add "$db" "$caps" --attribution "WMTS test" 2>wmts.err || rc=$?
[ $rc = 2 ] || fail "an ambiguous WMTS gave exit $rc: $(cat wmts.err)"
grep -q "layer=s2b" wmts.err || fail "the WMTS layers are not listed: $(cat wmts.err)"
"$bin" -q tiles add "$db" "$caps" --layer s2 --tile-matrix-set g --attribution "WMTS test" 2>wmts.err ||
  { cat wmts.err; fail "WMTS with --layer"; }
grep -q '\.png' requests.log && fail "cataloguing the WMTS read tiles"
"$bin" tiles list "$db" | grep -q "wmts" || fail "WMTS not listed"
"$bin" -q tiles rm "$db" "WMTS:$caps,layer=s2,tilematrixset=g" || fail "WMTS not removed by its path"

# 2. A map through the service sends the header and the User-Agent; a
# second map asks again only for tiles the server does not have (404).
: >requests.log
"$bin" -q map "$db" --area 1033 --no-workplaces -o svc1.png 2>map1.err || { cat map1.err; fail "map through the service"; }
[ -s requests.log ] || fail "the map through the service made no request"
grep -q "s3cret-key" requests.log || fail "the header was not sent"
grep -q "sinspace/" requests.log || fail "no sinspace User-Agent"
: >requests.log
"$bin" -q map "$db" --area 1033 --no-workplaces -o svc2.png 2>/dev/null || fail "second map"
while IFS="$(printf '\t')" read -r path ua key; do
  [ -f "xyz$path" ] && fail "second map asked again for $path (cached)"
done <requests.log

# 3. An interrupted fetch resumes: tiles it has are not asked again.
stop_server
start_server --delay 0.3
: >requests.log
"$bin" -q tiles fetch "$db" --area 1033 --zoom 15 --max-rate 100 -o kt.mbtiles 2>f1.err &
fpid=$!
i=0
while [ "$(cat requests.log 2>/dev/null | wc -l)" -lt 30 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $fpid 2>/dev/null || true
wait $fpid 2>/dev/null || true
[ -d kt.mbtiles.partial ] || fail "no kt.mbtiles.partial after the interruption"
[ ! -e kt.mbtiles ] || fail "kt.mbtiles placed though interrupted"
gdalinfo kt.mbtiles.partial/kt.mbtiles >/dev/null 2>&1 || fail "the interrupted package is not valid"
stop_server
start_server
cp requests.log first.log
: >requests.log
"$bin" tiles fetch "$db" --area 1033 --zoom 15 --max-rate 100 -o kt.mbtiles 2>f2.err || { cat f2.err; fail "resumed fetch"; }
grep -q "tiles at zoom 15" f2.err || fail "no plan printed: $(cat f2.err)"
already=$(sed -n 's/.* \([0-9][0-9]*\) already in the package.*/\1/p' f2.err)
[ "${already:-0}" -gt 0 ] || fail "resume found nothing already fetched: $(cat f2.err)"
# No tile the first run stored is asked again.
"$py" - "$work" <<'PY' || fail "the resumed fetch asked again for stored tiles"
import sys, sqlite3
w = sys.argv[1]
have = set()
con = sqlite3.connect(w + "/kt.mbtiles")
for z, x, y in con.execute("SELECT zoom_level, tile_column, tile_row FROM tiles"):
    have.add("/%d/%d/%d.png" % (z, x, (1 << z) - 1 - y))
again = [l.split("\t")[0] for l in open(w + "/requests.log")]
first = set(l.split("\t")[0] for l in open(w + "/first.log"))
# Tiles asked in both runs must not be tiles the first run could store.
stored_first = first & have
dup = [p for p in again if p in stored_first]
print("stored %d tiles; first run asked %d, resume asked %d" % (len(have), len(first), len(again)))
# the first run was killed mid-batch: allow the batch in flight (<= 4)
sys.exit(1 if len(dup) > 4 else 0)
PY
[ "$(stat -c %a kt.mbtiles)" = 600 ] || fail "kt.mbtiles is $(stat -c %a kt.mbtiles), not 600"
[ ! -e kt.mbtiles.partial ] || fail "kt.mbtiles.partial left behind"
"$bin" tiles list "$db" | grep -q "kt.mbtiles" || fail "package not catalogued"
"$bin" tiles fetch "$db" --area 1033 --zoom 15 -o kt.mbtiles 2>exists.err && fail "an existing package was replaced without --overwrite"
grep -q "exists" exists.err || fail "refusal message: $(cat exists.err)"

# 4. A 500 and a timeout: clear errors, a valid package to resume from.
stop_server
start_server --fail500 5
rc=0
"$bin" tiles fetch "$db" --area 1033 --zoom 15 --max-rate 100 --service "$url" -o e500.gpkg 2>e500.err || rc=$?
[ $rc = 1 ] || fail "a 500 gave exit $rc: $(cat e500.err)"
grep -q "HTTP 500" e500.err || fail "500 message: $(cat e500.err)"
grep -q s3cret e500.err && fail "the header value is in the error"
gdalinfo e500.gpkg.partial/e500.gpkg >/dev/null 2>&1 || fail "the package after a 500 is not valid"
stop_server
start_server --hang /15/25541/
rc=0
"$bin" tiles fetch "$db" --area 1033 --zoom 15 --max-rate 100 --timeout 2 --service "$url" -o hang.mbtiles 2>hang.err || rc=$?
[ $rc = 1 ] || fail "a timeout gave exit $rc: $(cat hang.err)"
grep -qi "timed out" hang.err || fail "timeout message: $(cat hang.err)"
gdalinfo hang.mbtiles.partial/hang.mbtiles >/dev/null 2>&1 || fail "the package after a timeout is not valid"

# 5. A package covering the frame: no request even with the server up;
# then, the server stopped, the map draws the package where gdalwarp puts it.
stop_server
start_server
: >requests.log
"$bin" -q map "$db" --area 1033 --no-workplaces -o auto.png 2>/dev/null || fail "map with the package, server up"
[ ! -s requests.log ] || fail "a package covers the frame, yet the map made $(wc -l <requests.log) request(s)"
stop_server
"$bin" -q map "$db" --area 1033 -o kt.png 2>map.err || { cat map.err; fail "map with the package"; }
"$bin" -q map "$db" --area 1033 --no-workplaces -o kt-plain.png 2>/dev/null || fail "map without workplaces"
set -- $(tr "\n" " " <kt.pgw)
a=$1 e=$4 c=$5 f=$6
size=$($py -c "from PIL import Image; im=Image.open('kt.png'); print(im.size[0], im.size[1])")
set -- $size
te=$($py -c "a,e,c,f,W,H=$a,$e,$c,$f,$1,$2; print(c-a/2, f-e/2+e*H, c-a/2+a*W, f-e/2)")
gdalwarp -q -t_srs kt.prj -te $te -ts "$1" "$2" -r bilinear -dstalpha kt.mbtiles ref.tif ||
  fail "gdalwarp of the package"
# The frame of an A4 portrait page at 300 dpi (docs/maps.md layout).
frame="201 354 1417 2811"
$py "$top/tests/tiles/compare.py" kt-plain.png ref.tif $frame || fail "map without workplaces differs from gdalwarp"
$py "$top/tests/tiles/compare.py" kt.png ref.tif $frame >cmp.out || true
cat cmp.out
med=$(sed -n 's/.*median difference per channel \[\([^]]*\)\].*/\1/p' cmp.out)
$py -c "import sys; sys.exit(0 if max(float(v) for v in '$med'.split()) <= 12 else 1)" ||
  fail "map --area 1033 differs from gdalwarp of the package: $(cat cmp.out)"
echo "ok"
