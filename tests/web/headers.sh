#!/bin/sh
# headers.sh: every kind of answer of `sinspace serve` carries the security
# headers docs/serve.md promises (Cache-Control: no-store, a
# Content-Security-Policy allowing only the server itself and no framing,
# X-Frame-Options: DENY, X-Content-Type-Options: nosniff, Referrer-Policy:
# no-referrer): the page and its scripts, API JSON and GeoJSON, downloads,
# tiles, and every refusal (400, 401, 403, 404, 405, 413).  Then names full
# of ', ", ;, -- and $$ sent as fence and area names through the API stay
# data: saved, found and exported byte for byte, the tables intact.
# A small database of its own (tests/data), on a free loopback port.
set -eu
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "needs curl"
command -v sqlite3 >/dev/null || skip "needs sqlite3 (Debian package sqlite3)"
pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

db=$work/h.sqlite
"$bin" -q init "$db"
"$bin" -q import "$db" "$top/tests/data/chiang_mai_amphoe.geojson"
"$bin" -q import "$db" "$top/tests/data/export_workplaces.csv"
# Around all of Chiang Mai province: every workplace is inside.
poly='{"type":"Polygon","coordinates":[[[97.0,17.0],[101.0,17.0],[101.0,21.0],[97.0,21.0],[97.0,17.0]]]}'
all=$(sqlite3 "$db" "SELECT count(*) FROM workplaces")
# urlenc TEXT: every byte as %XX; hexof TEXT: the bytes as hex.
urlenc() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g'; }
hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
printf '%s' "$poly" >"$work/poly.json"
# Areas named with quotes, semicolons, comments and dollar quotes, each a
# square around every workplace.
i=0
{
  printf '{"type":"FeatureCollection","features":[\n'
  for name in "O'Brien's ''Bar'''" 'The \"Big\" \"\"Star\"\"\"' 'a;b; ;c;;' 'x -- y --' \
              '$$ $q$ body $q$ $$' "'); DROP TABLE workplaces; --" \
              "'; DROP TABLE fences; SELECT '"; do
    i=$((i + 1))
    [ $i = 1 ] || printf ',\n'
    printf '{"type":"Feature","properties":{"code":"Q%d","name_en":"%s"},"geometry":%s}' \
      "$i" "$name" "$poly"
  done
  printf ']}\n'
} >"$work/quoted.geojson"
"$bin" -q import --as areas --level subdistrict "$db" "$work/quoted.geojson"
head -c 2000000 /dev/zero | tr '\0' x >"$work/huge"

# headers NAME WANT_CODE [CURL ARGS...]: the status, then each header.
headers() {
  name=$1; want=$2; shift 2
  code=$(curl -s -D "$work/h" -o "$work/body" -w '%{http_code}' "$@") || code=curl-failed
  if [ "$code" != "$want" ]; then
    bad "$name: HTTP $code, wanted $want: $(head -c 200 "$work/body")"
    return
  fi
  tr -d '\r' <"$work/h" >"$work/h2"
  missing=
  grep -qi '^Cache-Control: no-store$' "$work/h2" || missing="$missing no-store"
  grep -qi '^X-Frame-Options: DENY$' "$work/h2" || missing="$missing X-Frame-Options"
  grep -qi '^X-Content-Type-Options: nosniff$' "$work/h2" || missing="$missing nosniff"
  grep -qi '^Referrer-Policy: no-referrer$' "$work/h2" || missing="$missing Referrer-Policy"
  csp=$(grep -i '^Content-Security-Policy:' "$work/h2" | sed 's/^[^:]*: *//')
  [ "$(grep -ci '^Content-Security-Policy:' "$work/h2")" = 1 ] || missing="$missing one-CSP"
  # Only the server itself: default-src 'self', no framing, and no source
  # beyond 'self' (data: and blob: images, inline styles for Leaflet).
  case $csp in *"default-src 'self'"*) ;; *) missing="$missing CSP-default-src" ;; esac
  case $csp in *"frame-ancestors 'none'"*) ;; *) missing="$missing CSP-frame-ancestors" ;; esac
  case $csp in *http:*|*https:*|*"*"*|*unsafe-eval*|*"script-src 'unsafe-inline'"*)
    missing="$missing CSP-too-open($csp)" ;; esac
  ct=$(grep -i '^Content-Type:' "$work/h2" | sed 's/^[^:]*: *//')
  [ -n "$ct" ] || missing="$missing Content-Type"
  if [ -n "$missing" ]; then
    bad "$name ($code): missing or wrong:$missing"
  else
    ok "$name ($code, $ct)"
  fi
}

start_server
headers "page" 200 "$base/"
headers "app.js" 200 "$base/app.js"
headers "api info" 200 "$base/api/info"
headers "api areas" 200 "$base/api/areas?level=district"
headers "api query" 200 -X POST --data-binary @"$work/poly.json" "$base/api/query"
headers "api export download" 200 "$base/api/export?layer=workplaces&audience=public&format=csv"
headers "tile" 200 "$base/tiles/9/350/226.png?layers=areas,workplaces"
headers "bad filter 400" 400 -X POST --data-binary @"$work/poly.json" "$base/api/query?min_risk=x"
headers "bad JSON 400" 400 -X POST --data '{"type":' "$base/api/query"
headers "no such page 404" 404 "$base/nothing.html"
headers "no such endpoint 404" 404 "$base/api/nothing"
headers "wrong method 405" 405 -X DELETE "$base/api/fences"
headers "POST to a page 405" 405 -X POST --data x "$base/"
headers "body too large 413" 413 -X POST --data-binary @"$work/huge" "$base/api/query"
headers "other Host 403" 403 -H 'Host: evil.example' "$base/api/info"

# Names that would break SQL text, or a shell, stay data through the API.
n=0
for name in "O'Brien's ''Bar'''" 'The "Big" ""Star"""' 'a;b; ;c;;' 'x -- y --' \
            '$$ $q$ body $q$ $$' "'); DROP TABLE workplaces; --" \
            "'; DROP TABLE fences; SELECT '"; do
  n=$((n + 1))
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST --data-binary @"$work/poly.json" \
         "$base/api/fences?name=$(urlenc "$name")&description=$(urlenc "$name")") ||
    code=curl-failed
  [ "$code" = 201 ] || { bad "fence '$name': HTTP $code $(head -c 200 "$work/body")"; continue; }
  # The stored name, byte for byte, read by sqlite3.
  got=$(sqlite3 "$db" "SELECT name FROM fences WHERE description = name AND name = CAST(X'$(hexof "$name")' AS TEXT)")
  [ "$got" = "$name" ] || { bad "fence '$name' stored as '$got'"; continue; }
  # Found again by that name: the export of that fence has every workplace.
  code=$(curl -s -o "$work/body" -w '%{http_code}' \
         "$base/api/export?fence=$(urlenc "$name")&layer=workplaces&audience=partner&format=geojson") ||
    code=curl-failed
  rows=$(grep -o '"type": *"Feature"' "$work/body" | wc -l)
  if [ "$code" = 200 ] && [ "$rows" -eq "$all" ]; then
    ok "fence '$name' saved and exported byte for byte ($rows rows)"
  else
    bad "fence '$name': export HTTP $code, $rows rows of $all"
  fi
  # The same name as an area's: the square around every workplace.
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST \
         "$base/api/query?area=$(urlenc "$name")") || code=curl-failed
  rows=$(grep -o '"type": *"Feature"' "$work/body" | wc -l)
  if [ "$code" = 200 ] && [ "$rows" -eq "$all" ]; then
    ok "area '$name' found by its name ($rows rows)"
  else
    bad "area '$name': HTTP $code, $rows rows of $all: $(head -c 200 "$work/body")"
  fi
done
# A duplicate of a quote-laden name is refused as a duplicate (409), not as
# broken SQL.
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST --data-binary @"$work/poly.json" \
       "$base/api/fences?name=$(urlenc "O'Brien's ''Bar'''")") || code=curl-failed
if [ "$code" = 409 ]; then ok "duplicate quoted fence name: 409"; else bad "duplicate quoted fence name: HTTP $code"; fi
stop_server
tables=$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('workplaces','fences','areas','audit')")
wp=$(sqlite3 "$db" "SELECT count(*) FROM workplaces")
fences=$(sqlite3 "$db" "SELECT count(*) FROM fences")
# Each API call above is an audit row (read by sqlite3): the calls that
# answered, and those refused (400, 404, 405, 413).
for t in 'GET /api/info%-> 200' 'GET /api/areas%-> 200' 'POST /api/query%-> 200' \
         'GET /api/export%-> 200' 'POST /api/query%-> 400' 'GET /api/nothing%-> 404' \
         'DELETE /api/fences%-> 405' 'POST /api/query%-> 413' 'POST /api/fences%-> 201' \
         'POST /api/fences%-> 409'; do
  c=$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE command = 'serve' AND target LIKE '$t%'")
  if [ "$c" -ge 1 ]; then ok "audit row for $t"; else bad "no audit row for $t"; fi
done
if [ "$tables" = 4 ] && [ "$wp" = "$all" ] && [ "$fences" = "$n" ]; then
  ok "tables intact: $all workplaces, $n fences"
else
  bad "tables: $tables of 4, $wp workplaces, $fences fences (wanted $all, $n)"
fi

# With a token: the 401 carries the headers too.
start_server --token 0123456789abcdef0123
headers "no token 401" 401 "$base/api/info"
headers "token page" 200 "$base/?token=0123456789abcdef0123"
stop_server

echo "headers: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
