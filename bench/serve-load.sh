#!/bin/sh
# serve-load.sh [DB]: load test of `sinspace serve` on loopback, bounded in
# time: wrk for SECONDS (default 10) per phase against a server on a free
# 127.0.0.1 port, which is always stopped.  Phases: tiles alone, queries
# alone, then both at once.  The goal (issue: local web map) is 200 tile
# requests/s and 50 queries/s on the sample data without errors; the script
# fails when a phase falls short or any response is not 2xx.
# Without DB it builds the sample database with its imagery
# (tests/web/make-db.sh).  Needs wrk (scripts/deps-debian.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
bin=${SINSPACE_BIN:-$top/build/src/cli/sinspace}
secs=${SECONDS_PER_PHASE:-10}
command -v wrk >/dev/null || { echo "serve-load.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sinspace-load.XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
db=${1:-}
if [ -z "$db" ]; then
  db=$work/sample.sqlite
  SINSPACE=$bin "$top/tests/web/make-db.sh" "$db" 2>/dev/null
fi
# The audit trail would grow by one row per query; the load test works on
# a copy so a real database keeps only its own history.
cp "$db" "$work/load.sqlite"
"$bin" serve "$work/load.sqlite" --port 0 --threads "${THREADS:-4}" >"$work/out" 2>"$work/err" &
pid=$!
i=0
while ! grep -q '^sinspace serve: http' "$work/out"; do
  i=$((i + 1)); [ $i -gt 300 ] && { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^sinspace serve: \(http:[^?]*\).*/\1/p' "$work/out"); base=${base%/}
echo "server $base, $secs s per phase, $(nproc) cores"

status=0
# The tile set of serve-tiles.lua, drawn once first (cold: every tile
# rendered), so the timed phases measure the server with a warm cache, as
# a planner's browser sees it after the first look at an area.
awk 'function lon2x(lon, z) { return int((lon + 180) / 360 * 2 ^ z) }
     function lat2y(lat, z,   r) { r = lat * 3.141592653589793 / 180
       return int((1 - log(sin(r) / cos(r) + 1 / cos(r)) / 3.141592653589793) / 2 * 2 ^ z) }
     BEGIN { for (z = 12; z <= 17; z++) {
       x0 = lon2x(100.550, z); x1 = lon2x(100.602, z); if (x1 > x0 + 7) x1 = x0 + 7
       y0 = lat2y(13.743, z); y1 = lat2y(13.697, z); if (y1 > y0 + 7) y1 = y0 + 7
       for (x = x0; x <= x1; x++) for (y = y0; y <= y1; y++) printf "/tiles/%d/%d/%d.png\n", z, x, y } }' \
  >"$work/tiles.txt"
n=$(wc -l <"$work/tiles.txt")
t0=$(date +%s.%N)
sed "s|^|$base|" "$work/tiles.txt" | xargs -P 2 -n 1 curl -s -o /dev/null -w '%{http_code}\n' >"$work/warm.txt"
t1=$(date +%s.%N)
bad=$(grep -vc '^200$' "$work/warm.txt" || true)
awk -v n="$n" -v a="$t0" -v b="$t1" -v bad="$bad" 'BEGIN {
  printf "%-16s %8.1f tiles/s (%d distinct tiles drawn in %.1f s, 2 at a time)  non-200 %d\n",
         "cold tiles", n / (b - a), n, b - a, bad }'
[ "$bad" = 0 ] || status=1
# run NAME SCRIPT CONNECTIONS GOAL: one wrk phase; prints req/s and errors.
run() {
  wrk -t1 -c"$3" -d"${secs}s" --timeout 10s -s "$here/$2" "$base" >"$work/$1.txt" 2>&1 || true
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$1.txt")
  lat=$(awk '/^ *Latency/ {print $2 " avg, " $4 " max"}' "$work/$1.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$1.txt"); non2xx=${non2xx:-0}
  sockerr=$(awk '/Socket errors/ {print $0}' "$work/$1.txt")
  printf '%-16s %8s req/s  (goal %s)  latency %s  non-2xx %s %s\n' "$1" "${rps:-?}" "$4" "$lat" "$non2xx" "$sockerr"
  if [ -z "$rps" ] || [ "$non2xx" != 0 ] || [ -n "$sockerr" ] ||
     ! awk -v r="$rps" -v g="$4" 'BEGIN { exit !(r >= g) }'; then
    status=1
  fi
}
run tiles serve-tiles.lua 8 200
run queries serve-query.lua 4 50
# Both at once.
wrk -t1 -c8 -d"${secs}s" --timeout 10s -s "$here/serve-tiles.lua" "$base" >"$work/mixed-tiles.txt" 2>&1 &
w1=$!
run mixed-queries serve-query.lua 4 50
wait $w1 || true
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/mixed-tiles.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/mixed-tiles.txt"); non2xx=${non2xx:-0}
printf '%-16s %8s req/s  (goal 200)  non-2xx %s\n' "mixed-tiles" "$rps" "$non2xx"
if [ "$non2xx" != 0 ] || ! awk -v r="$rps" 'BEGIN { exit !(r >= 200) }'; then status=1; fi
kill "$pid"; wait "$pid" || status=1; pid=
[ $status -eq 0 ] && echo "serve-load: goals met, no errors" || echo "serve-load: FAILED"
exit $status
