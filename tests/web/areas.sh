#!/bin/sh
# areas.sh: one area resolver for every door.  The same names and codes
# (a code, Latin names in any case, a local name, names several areas
# share, a name nobody has) go to `query`, `map`, `zones`, `export` and the
# web API (/api/query and /api/export with area=); each door must pick the
# same area (the code in its audit row) or refuse with the same sentence,
# naming the same candidates (code, level, parent).
set -eu
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "needs curl"
make_db
pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

local_name=$(sqlite3 "$db" "SELECT name_local FROM areas WHERE code = '1033'" 2>/dev/null || true)
# outcome DOOR: after a door ran, what it resolved: "area CODE" from the
# newest audit row when it succeeded, else its message from "area '" on.
last_id=0
outcome() {
  rc=$1; err=$2
  if [ "$rc" -eq 0 ]; then
    row=$("$bin" audit "$db" | tail -n 1)
    id=$(printf '%s' "$row" | cut -f1)
    if [ "$id" = "$last_id" ]; then echo "no audit row"; return; fi
    last_id=$id
    # query and map name it as the target, export and zones in the filters.
    printf '%s\n' "$row" | cut -f5,7 | tr '\t' '\n' |
      sed -n 's/^.*\barea[ =]\([^ ]*\).*$/area \1/p' | head -n 1
  else
    sed -n "s/.*\(area '.*\)/\1/p" "$err" | sed 's/"[,}].*//' | head -n 1
  fi
}

start_server
for key in 1033 "Khlong Toei" "khlong toei" "KHLONG TOEI" "$local_name" \
           "Hang Dong" "Ban Pong" "chiang-mai/hang-dong" "Chom Thong" "Atlantis"; do
  [ -n "$key" ] || continue
  rm -f "$work"/out.*
  rc=0; "$bin" query "$db" --area "$key" --format ids >/dev/null 2>"$work/err" || rc=$?
  q=$(outcome $rc "$work/err")
  rc=0; "$bin" map "$db" --area "$key" --no-basemap --dpi 40 -o "$work/out.png" 2>"$work/err" >/dev/null || rc=$?
  m=$(outcome $rc "$work/err")
  rc=0; "$bin" export "$db" workplaces --area "$key" --audience internal -o "$work/out.geojson" 2>"$work/err" >/dev/null || rc=$?
  e=$(outcome $rc "$work/err")
  enc=$(printf '%s' "$key" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g')
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$base/api/query?area=$enc" || echo 000)
  rc=0; [ "$code" = 200 ] || rc=1; cp "$work/body" "$work/err"
  w=$(outcome $rc "$work/err")
  code=$(curl -s -o "$work/body" -w '%{http_code}' "$base/api/export?layer=workplaces&format=geojson&area=$enc" || echo 000)
  rc=0; [ "$code" = 200 ] || rc=1; cp "$work/body" "$work/err"
  x=$(outcome $rc "$work/err")
  # zones last: it writes a run (and its audit row) into the store.
  rc=0; "$bin" zones "$db" --area "$key" 2>"$work/err" >/dev/null || rc=$?
  z=$(outcome $rc "$work/err")
  if [ -n "$q" ] && [ "$q" = "$m" ] && [ "$q" = "$e" ] && [ "$q" = "$w" ] &&
     [ "$q" = "$x" ] && [ "$q" = "$z" ]; then
    ok "'$key': $q"
  else
    bad "'$key': query: $q | map: $m | export: $e | api/query: $w | api/export: $x | zones: $z"
  fi
done
stop_server
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
