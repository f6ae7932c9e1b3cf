#!/bin/sh
# api.sh: every endpoint of `sinspace serve` through curl, and the malformed
# requests (invalid JSON, a bad polygon, a huge body, bad parameters, paths
# that try to reach files) that must get a 4xx with a message, never a
# crash; then the token mode.  The server runs on a free loopback port and
# is always stopped.
set -eu
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "needs curl"
# The page's vendored Leaflet comes from npm at set-up; without it the
# vendor checks below would fail as bare 404s.
[ -f "$top/web/vendor-src/node_modules/leaflet/dist/leaflet.js" ] ||
  skip "needs Leaflet in web/vendor-src/node_modules (scripts/deps-npm.sh)"
make_db
start_server
pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# check NAME WANT_CODE [CURL ARGS...]: the status code, and for an error a
# JSON body with an "error" message.
api_calls=0
check() {
  name=$1; want=$2; shift 2
  for a in "$@"; do
    case $a in "$base"/api/*) api_calls=$((api_calls + 1)) ;; esac
  done
  code=$(curl -s -o "$work/body" -w '%{http_code}' "$@") || code=curl-failed
  if [ "$code" != "$want" ]; then
    bad "$name: HTTP $code, wanted $want: $(head -c 300 "$work/body")"
    return
  fi
  if [ "$want" -ge 400 ] && ! grep -q '"error":"..*"' "$work/body"; then
    bad "$name: $want without an error message: $(head -c 200 "$work/body")"
    return
  fi
  ok "$name ($code)"
}
# has NAME PATTERN: the last body contains the text.
has() {
  if grep -q -- "$2" "$work/body"; then ok "$1"; else bad "$1: no '$2' in $(head -c 200 "$work/body")"; fi
}

poly='{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[100.55,13.70],[100.59,13.70],[100.59,13.73],[100.55,13.73],[100.55,13.70]]]}}'
printf '%s' "$poly" >"$work/poly.geojson"
audit0=$("$bin" audit "$db" | wc -l)

# The page and its libraries, from memory.
check "page" 200 "$base/"
has "page is the map" 'id="map"'
check "app.js" 200 "$base/app.js"
check "leaflet.js" 200 "$base/vendor/leaflet/dist/leaflet.js"
check "leaflet.draw.js" 200 "$base/vendor/leaflet-draw/dist/leaflet.draw.js"
check "unknown page" 404 "$base/nothing.html"
check "path traversal" 404 --path-as-is "$base/vendor/../../../../etc/passwd"
check "encoded traversal" 404 --path-as-is "$base/vendor/%2e%2e/%2e%2e/etc/passwd"
check "absolute path" 404 --path-as-is "$base//etc/passwd"
check "POST to a page" 405 -X POST --data x "$base/"

# Tiles.
check "tile over the imagery" 200 "$base/tiles/15/25540/15123.png"
if head -c 8 "$work/body" | od -An -c | grep -q 'P   N   G'; then ok "tile is a PNG"; else bad "tile is not a PNG"; fi
check "tile, one layer" 200 "$base/tiles/12/3192/1890.png?layers=areas"
check "tile outside the grid" 404 "$base/tiles/3/8/0.png"
check "tile zoom too deep" 404 "$base/tiles/40/0/0.png"
check "tile, bad path" 404 "$base/tiles/1/2/x.png"
check "tile, trailing junk" 404 "$base/tiles/1/1/1.png.bak"
check "tile, bad layer" 400 "$base/tiles/1/1/1.png?layers=secrets"

# Reading the layers.
check "info" 200 "$base/api/info"
has "info counts workplaces" '"workplaces":3300'
check "areas" 200 "$base/api/areas"
has "areas is GeoJSON" '"type":"FeatureCollection"'
check "districts" 200 "$base/api/areas?level=district"
has "districts only" '"level":"district"'
check "areas, bad level" 400 "$base/api/areas?level=galaxy"
check "zones" 200 "$base/api/zones"
check "fences" 200 "$base/api/fences"
check "no such endpoint" 404 "$base/api/secrets"
check "GET on a POST endpoint" 405 "$base/api/query"

# Queries: the same rows as the command line.
check "query" 200 -X POST --data-binary @"$work/poly.geojson" "$base/api/query"
has "query has a summary" '"summary":{"matched":'
tr '\n' ' ' <"$work/body" | grep -o '"properties":{"id":"[^"]*"' | cut -d'"' -f6 | sort >"$work/api-ids.txt"
"$bin" -q query "$db" --within "$work/poly.geojson" --format csv -o "$work/cli.csv"
tail -n +2 "$work/cli.csv" | cut -d, -f1 | sort >"$work/cli-ids.txt"
if [ -s "$work/api-ids.txt" ] && cmp -s "$work/api-ids.txt" "$work/cli-ids.txt"; then
  ok "query rows = sinspace query --within ($(wc -l <"$work/api-ids.txt"))"
else
  bad "query rows differ from sinspace query --within"
fi
check "query with filters" 200 -X POST --data-binary @"$work/poly.geojson" \
  "$base/api/query?min_risk=2&class=high,medium&sector=karaoke_bar,brothel&status=active&limit=5&sort=risk"
"$bin" -q query "$db" --within "$work/poly.geojson" --min-risk 2 --class high,medium \
  --sector karaoke_bar --sector brothel --status active --limit 5 --sort risk --format csv -o "$work/cli2.csv"
tr '\n' ' ' <"$work/body" | grep -o '"properties":{"id":"[^"]*"' | cut -d'"' -f6 >"$work/api2.txt"
tail -n +2 "$work/cli2.csv" | cut -d, -f1 >"$work/cli2.txt"
if cmp -s "$work/api2.txt" "$work/cli2.txt"; then ok "filtered rows and order = the command line"; else bad "filtered rows differ"; fi
check "query, bare geometry" 200 -X POST --data '{"type":"Polygon","coordinates":[[[100.55,13.70],[100.59,13.70],[100.59,13.73],[100.55,13.70]]]}' "$base/api/query"
check "query, invalid JSON" 400 -X POST --data '{"type":"Polygon","coordinates":[[[100.55' "$base/api/query"
check "query, not JSON" 400 -X POST --data 'hello' "$base/api/query"
check "query, empty body" 400 -X POST "$base/api/query"
check "query, self-intersecting polygon" 400 -X POST --data '{"type":"Polygon","coordinates":[[[100.55,13.70],[100.59,13.73],[100.59,13.70],[100.55,13.73],[100.55,13.70]]]}' "$base/api/query"
check "query, a point" 400 -X POST --data '{"type":"Point","coordinates":[100.55,13.70]}' "$base/api/query"
check "query, open ring" 400 -X POST --data '{"type":"Polygon","coordinates":[[[100.55,13.70],[100.59,13.70]]]}' "$base/api/query"
check "query, bad min_risk" 400 -X POST --data-binary @"$work/poly.geojson" "$base/api/query?min_risk=9"
check "query, bad class" 400 -X POST --data-binary @"$work/poly.geojson" "$base/api/query?class=purple"
check "query, bad limit" 400 -X POST --data-binary @"$work/poly.geojson" "$base/api/query?limit=-3"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$work/huge"
check "query, 2 MB body" 413 -X POST --data-binary @"$work/huge" "$base/api/query"
check "query, 2 MB chunked body" 413 -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$work/huge" "$base/api/query"

# Fences.
check "save a fence" 201 -X POST --data-binary @"$work/poly.geojson" "$base/api/fences?name=test%20fence&description=drawn"
check "the same name again" 409 -X POST --data-binary @"$work/poly.geojson" "$base/api/fences?name=test%20fence"
check "a fence without a name" 400 -X POST --data-binary @"$work/poly.geojson" "$base/api/fences"
check "a fence of bad JSON" 400 -X POST --data '[1,2' "$base/api/fences?name=broken"
check "fences list it" 200 "$base/api/fences"
has "the saved fence" '"name":"test fence"'
"$bin" -q query "$db" --fence "test fence" --format csv -o "$work/cli3.csv" &&
  ok "the saved fence works with sinspace query --fence" || bad "sinspace query --fence"

# Export with the audiences of sinspace export.
check "export, public" 200 "$base/api/export?layer=workplaces&audience=public"
if grep -q '"name"' "$work/body"; then bad "public export holds names"; else ok "public export holds no names"; fi
check "export, partner" 200 "$base/api/export?layer=workplaces&audience=partner&fence=test%20fence"
has "partner export has names" '"name"'
check "export, CSV" 200 "$base/api/export?layer=areas&audience=partner&format=csv"
check "export, internal without the internal token" 403 "$base/api/export?layer=areas&audience=internal"
check "export, bad audience" 400 "$base/api/export?layer=workplaces&audience=everyone"
check "export, bad layer" 400 "$base/api/export?layer=passwords"
check "export, bad format" 400 "$base/api/export?format=xlsx"
check "export, unknown fence" 404 "$base/api/export?fence=nowhere"

# Print.
check "print PDF" 200 -X POST --data-binary @"$work/poly.geojson" "$base/api/map?paper=A4&dpi=100"
if head -c 5 "$work/body" | grep -q '%PDF-'; then ok "print is a PDF"; else bad "print is not a PDF"; fi
check "print, bad paper" 400 -X POST --data-binary @"$work/poly.geojson" "$base/api/map?paper=A9"
check "print, bad polygon" 400 -X POST --data 'nope' "$base/api/map"

# Every endpoint refuses an unknown parameter, a misspelt one and a
# malformed value with 400 naming it (the command line exits 2 for the
# same; tests/web/filters.sh sends the filters through both doors).
P="--data-binary @$work/poly.geojson"
while IFS='|' read -r name method url words; do
  [ -n "$name" ] || continue
  if [ "$method" = POST ]; then
    # shellcheck disable=SC2086
    check "$name" 400 -X POST $P "$base$url"
  else
    check "$name" 400 "$base$url"
  fi
  has "$name: names it" "$words"
done <<'TABLE'
info, unknown|GET|/api/info?colour=red|unknown parameter 'colour'
info, misspelt token|GET|/api/info?tokne=x|unknown parameter 'tokne'
areas, unknown|GET|/api/areas?colour=red|/api/areas takes level
areas, misspelt|GET|/api/areas?levle=district|did you mean level?
areas, malformed|GET|/api/areas?level=galaxy|level takes country
areas, empty|GET|/api/areas?level=|level needs a value
areas, twice|GET|/api/areas?level=district&level=province|level is given twice
fences, unknown|GET|/api/fences?colour=red|unknown parameter 'colour'
fences, misspelt|GET|/api/fences?nmae=x|unknown parameter 'nmae'
save fence, unknown|POST|/api/fences?name=f2&colour=red|unknown parameter 'colour'
save fence, misspelt|POST|/api/fences?nmae=f2|did you mean name?
save fence, malformed|POST|/api/fences?name=|name needs a value
zones, unknown|GET|/api/zones?colour=red|unknown parameter 'colour'
zones, misspelt|GET|/api/zones?zoen=1|unknown parameter 'zoen'
query, unknown|POST|/api/query?colour=red|unknown parameter 'colour'
query, misspelt|POST|/api/query?clas=high|did you mean class?
query, misspelt filter|POST|/api/query?min_risc=2|did you mean min_risk?
query, malformed class|POST|/api/query?class=purple|class takes low, medium, high or unscored
query, malformed date|POST|/api/query?seen_since=2026-13-45|seen_since takes a date
query, repeated status|POST|/api/query?status=active&status=closed|status is given twice
query, two regions|POST|/api/query?area=1033|give one region
export, malformed near|GET|/api/export?near=abc&radius=1km|near takes LON,LAT
export, malformed bbox|GET|/api/export?bbox=1,2,3|bbox takes W,S,E,N
export, malformed zone|GET|/api/export?zone=x|zone takes a zone id
export, unknown|GET|/api/export?layer=workplaces&colour=red|unknown parameter 'colour'
export, misspelt|GET|/api/export?layer=workplaces&audiance=partner|did you mean audience?
export, malformed|GET|/api/export?layer=workplaces&aggregate=maybe|aggregate takes 1 or 0
export, area twice|GET|/api/export?layer=workplaces&area=1033&area=1034|area is given twice
export, filters on areas|GET|/api/export?layer=areas&class=high|apply to the workplaces
export, malformed min_count|GET|/api/export?layer=workplaces&aggregate=1&min_count=0|min_count takes
print, unknown|POST|/api/map?colour=red|unknown parameter 'colour'
print, misspelt|POST|/api/map?papr=A4|did you mean paper?
print, malformed dpi|POST|/api/map?dpi=9000|dpi takes a number from 72 to 300
print, malformed landscape|POST|/api/map?landscape=maybe|landscape takes 1 or 0
TABLE
check "tile, unknown parameter" 400 "$base/tiles/12/3192/1890.png?colour=red"
has "tile, unknown: names it" "unknown parameter 'colour'"
check "tile, misspelt parameter" 400 "$base/tiles/12/3192/1890.png?layer=areas"
check "tile, malformed layers" 400 "$base/tiles/12/3192/1890.png?layers=areas,,zones"
check "tile, layers twice" 400 "$base/tiles/12/3192/1890.png?layers=areas&layers=zones"

# area= on /api/export: Khlong Toei's workplaces only, as many as SpatiaLite
# finds inside its polygon (300 on the sample).
check "export, area" 200 "$base/api/export?layer=workplaces&audience=partner&format=geojson&area=1033"
n=$(grep -o '"type":"Feature"' "$work/body" | wc -l)
others=$(grep -o '"area":"[^"]*"' "$work/body" | grep -vc '"area":"1033"' || true)
ref=$(sqlite3 "$db" "SELECT load_extension('mod_spatialite'); SELECT count(*) FROM workplaces w, areas a WHERE a.code = '1033' AND ST_Intersects(a.geom, w.geom);" 2>/dev/null | tail -n 1 || true)
if [ "$n" -gt 0 ] && [ "$others" = 0 ] && { [ -z "$ref" ] || [ "$n" = "$ref" ]; }; then
  ok "export, area=1033: $n workplaces, all Khlong Toei's (SpatiaLite: ${ref:-not run})"
else
  bad "export, area=1033: $n workplaces, $others of other areas, SpatiaLite $ref"
fi
# The page's export of a drawn area: POST with the polygon, and filters.
check "export, drawn area" 200 -X POST --data-binary @"$work/poly.geojson" "$base/api/export?layer=workplaces&audience=partner&class=high"
n=$(grep -o '"type":"Feature"' "$work/body" | wc -l)
m=$("$bin" -q query "$db" --within "$work/poly.geojson" --class high --format ids | wc -l)
if [ "$n" = "$m" ] && [ "$n" -gt 0 ]; then ok "export, drawn area: the rows of query --within ($n)"
else bad "export, drawn area: $n features, query --within lists $m"; fi
# A drawn polygon is audited by its digest and vertices, never as "text"
# or a path.
if "$bin" audit "$db" | awk -F '\t' '$4 == "serve"' | grep -q 'POST /api/query polygon sha256:[0-9a-f]\{16\} (4 vertices)'; then
  ok "audit: a drawn polygon is its digest and vertices"
else bad "audit: no 'polygon sha256:' row: $("$bin" audit "$db" | grep 'POST /api/query' | head -2)"; fi
# The API's GeoJSON has the command line's properties, names and values.
curl -s -X POST --data-binary @"$work/poly.geojson" "$base/api/query" >"$work/api.geojson"
api_calls=$((api_calls + 1))
"$bin" -q query "$db" --within "$work/poly.geojson" --format geojson -o "$work/cli.geojson"
same=$(/usr/bin/python3 - "$work/cli.geojson" "$work/api.geojson" <<'PY'
import json, sys
cli = json.load(open(sys.argv[1]))["features"]
api = json.load(open(sys.argv[2]))["features"]
bad = [c["id"] for c, a in zip(cli, api)
       if c["id"] != a["id"] or any(a["properties"].get(k, "missing") != v
                                    for k, v in c["properties"].items())]
print("ok" if cli and len(cli) == len(api) and not bad else "differ %d %d %s" % (len(cli), len(api), bad[:3]))
PY
)
if [ "$same" = ok ]; then ok "API GeoJSON has the CLI's properties and ids"; else bad "API GeoJSON: $same"; fi

# Every API call left one audit row (tiles and pages do not).
audit1=$("$bin" audit "$db" | awk -F '\t' '$4 == "serve"' | wc -l)
if [ "$audit1" -eq "$api_calls" ]; then ok "one audit row per API call ($audit1)"
else bad "$audit1 serve audit rows for $api_calls API calls"; fi

[ -n "${SERVE_TEST_DEBUG:-}" ] && "$bin" audit "$db" | awk -F "\t" '$4 == "serve" {print $5}'
# DNS rebinding: another Host name is refused without a token
# (logged, not audited: refused before it is an API call).
check "foreign Host" 403 -H 'Host: attacker.example' "$base/api/info"
kill -0 "$server_pid" && ok "the server is still up" || bad "the server died"
stop_server
ok "the server stopped cleanly"

# Token mode.
start_server --token 0123456789abcdef0123
check "no token" 401 "$base/api/info"
check "wrong token" 401 -H 'Authorization: Bearer 0123456789abcdef0124' "$base/api/info"
check "short token" 401 -H 'Authorization: Bearer 0123' "$base/api/info"
check "bearer token" 200 -H 'Authorization: Bearer 0123456789abcdef0123' "$base/api/info"
check "token parameter" 200 "$base/tiles/15/25540/15123.png?token=0123456789abcdef0123"
check "token, page" 200 "$base/?token=0123456789abcdef0123"
check "token, huge body before auth" 401 -X POST --data-binary @"$work/huge" "$base/api/query"
check "token, as a parameter of the API" 200 "$base/api/info?token=0123456789abcdef0123"
check "token, export internal" 403 -H 'Authorization: Bearer 0123456789abcdef0123' "$base/api/export?layer=areas&audience=internal"
stop_server

# The internal audience: only with --internal-token, and only its bearer.
start_server --internal-token fedcba9876543210fedc
check "internal token: info" 200 "$base/api/info"
has "internal token: info offers public and partner" '"audiences":\["public","partner"\]'
check "internal token: export internal, no token" 403 "$base/api/export?layer=areas&audience=internal"
check "internal token: info with it" 200 -H 'Authorization: Bearer fedcba9876543210fedc' "$base/api/info"
has "internal token: info offers internal" '"audiences":\["public","partner","internal"\]'
check "internal token: export internal" 200 -H 'Authorization: Bearer fedcba9876543210fedc' "$base/api/export?layer=areas&audience=internal"
check "internal token: wrong one" 403 -H 'Authorization: Bearer fedcba9876543210fedd' "$base/api/export?layer=areas&audience=internal"
stop_server
start_server --token 0123456789abcdef0123 --internal-token fedcba9876543210fedc
check "both tokens: the internal one opens the server" 200 -H 'Authorization: Bearer fedcba9876543210fedc' "$base/api/export?layer=areas&audience=internal"
check "both tokens: the plain one is not internal" 403 -H 'Authorization: Bearer 0123456789abcdef0123' "$base/api/export?layer=areas&audience=internal"
stop_server
if "$bin" serve "$db" --internal-token short --port 0 >/dev/null 2>&1; then bad "a short --internal-token was accepted"; else ok "a short --internal-token is refused"; fi
if "$bin" serve "$db" --token short --port 0 >/dev/null 2>&1; then bad "a short --token was accepted"; else ok "a short --token is refused"; fi
if "$bin" serve "$db" --bind nowhere --port 0 >/dev/null 2>&1; then bad "a bad --bind was accepted"; else ok "a bad --bind is refused"; fi

# In memory: the API writes no file, temporary or not.  TMPDIR names a
# path that does not exist (the tests run as root, whom permission bits do
# not stop), and, where a private mount namespace can be had, the server
# sees /tmp and /var/tmp read-only (bound onto themselves, remounted ro),
# so any file it tried to make there, even for a moment, fails the call.
# What is already there stays readable, so the test works wherever the build
# lies (a CI clone under /tmp included); the database and the server's output
# are reached through a writable bind mount on /mnt.
notmp_root=${SINSPACE_BUILD_ROOT:-$top/build}
nt=$(mktemp -d "$notmp_root/serve-notmp.XXXXXX")
cp "$db" "$nt/db.sqlite"
notmp_pid=
notmp_cleanup() {
  [ -n "$notmp_pid" ] && { touch "$nt/stop"; wait "$notmp_pid" 2>/dev/null || true; }
  rm -rf "$nt"
}
trap 'notmp_cleanup; cleanup' EXIT
if unshare -m sh -c 'mount -t tmpfs -o ro none /tmp' 2>/dev/null; then
  isolated=1
else
  isolated=0
  echo "note: no private mount namespace here; checking with TMPDIR alone"
fi
# The server in its own mount namespace: it stops when $nt/stop appears.
NT=$nt BIN=$bin ISOLATED=$isolated sh -c '
  if [ "$ISOLATED" = 1 ]; then
    exec unshare -m sh -c "
      mount --make-rprivate / &&
      mount --bind \"\$NT\" /mnt &&
      mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp &&
      mount --bind /var/tmp /var/tmp && mount -o remount,bind,ro /var/tmp || exit 3
      if touch /tmp/.sinspace-probe 2>/dev/null ||
         touch /var/tmp/.sinspace-probe 2>/dev/null; then
        echo writable >/mnt/probe
      else
        echo read-only >/mnt/probe
      fi
      TMPDIR=/nonexistent/sinspace \"\$BIN\" serve /mnt/db.sqlite --port 0 \
        >/mnt/serve.out 2>/mnt/serve.err &
      pid=\$!
      while [ ! -e /mnt/stop ] && kill -0 \$pid 2>/dev/null; do sleep 0.1; done
      kill \$pid 2>/dev/null; wait \$pid; rc=\$?
      exit \$rc"
  fi
  TMPDIR=/nonexistent/sinspace "$BIN" serve "$NT/db.sqlite" --port 0 \
    >"$NT/serve.out" 2>"$NT/serve.err" &
  pid=$!
  while [ ! -e "$NT/stop" ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
  kill $pid 2>/dev/null; wait $pid
' &
notmp_pid=$!
i=0
while ! grep -q '^sinspace serve: http' "$nt/serve.out" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 "$notmp_pid" 2>/dev/null; then
    bad "no temporary folder: the server did not start: $(cat "$nt/serve.err" 2>/dev/null)"
    break
  fi
  sleep 0.1
done
if grep -q '^sinspace serve: http' "$nt/serve.out" 2>/dev/null; then
  base=$(sed -n 's/^sinspace serve: \(http:[^?]*\).*/\1/p' "$nt/serve.out")
  base=${base%/}
  check "no tmp: info" 200 "$base/api/info"
  check "no tmp: query" 200 -X POST --data-binary @"$work/poly.geojson" "$base/api/query"
  has "no tmp: query has rows" '"matched":'
  check "no tmp: export, public GeoJSON" 200 "$base/api/export?layer=workplaces&audience=public"
  has "no tmp: export is GeoJSON" '"type":"FeatureCollection"'
  check "no tmp: export, partner in a fence" 200 "$base/api/export?layer=workplaces&audience=partner&fence=test%20fence"
  check "no tmp: export, aggregate" 200 "$base/api/export?layer=workplaces&aggregate=1&min_risk=1.5"
  check "no tmp: export, CSV" 200 "$base/api/export?layer=areas&audience=partner&format=csv"
  has "no tmp: CSV has a header" 'code'
  check "no tmp: print" 200 -X POST --data-binary @"$work/poly.geojson" "$base/api/map?paper=A4&dpi=72"
  if head -c 5 "$work/body" | grep -q '%PDF-'; then ok "no tmp: print is a PDF"; else bad "no tmp: print is not a PDF"; fi
  touch "$nt/stop"
  rc=0
  wait "$notmp_pid" || rc=$?
  notmp_pid=
  if [ $rc -eq 0 ]; then ok "no tmp: the server stopped cleanly"
  else bad "no tmp: the server exited $rc: $(cat "$nt/serve.err")"; fi
  if [ "$isolated" = 1 ]; then
    if [ "$(cat "$nt/probe" 2>/dev/null)" = read-only ]; then
      ok "no tmp: /tmp and /var/tmp were read-only to the server"
    else
      bad "no tmp: /tmp or /var/tmp was writable to the server"
    fi
  fi
  if [ -e /nonexistent ]; then bad "no tmp: the missing TMPDIR was made"
  else ok "no tmp: the missing TMPDIR was not made"; fi
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
