#!/bin/sh
# filters.sh: one filter table for both doors.  Each filter (and region)
# goes through `sinspace query --format ids` and POST /api/query; both must
# list the same workplaces' ids in the same order, and where the filter is
# plain SQL, the same as SpatiaLite's answer on the sample database (an
# independent reference).  Then each bad value goes through both doors:
# exit 2 and HTTP 400, with the same words about what the option takes.
set -eu
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "needs curl"
command -v sqlite3 >/dev/null || skip "needs sqlite3"
make_db
sqlite3 "$db" "SELECT load_extension('mod_spatialite')" >/dev/null 2>&1 ||
  skip "needs mod_spatialite for sqlite3"
# An emerging hot-spot run for the hotspot filter, before the server
# starts; its CSV (the category of every workplace) is the reference.
"$bin" -q hotspots "$db" --emerging --step year --band 500m --format csv \
  >"$work/emerging.csv"
start_server
pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# api_ids QUERY: the ids POST /api/query answers, in order (the properties'
# "id" must equal the feature id).
api_ids() {
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$base/api/query?$1" || echo 000)
  [ "$code" = 200 ] || { echo "HTTP $code: $(head -c 300 "$work/body")"; return; }
  tr '\n' ' ' <"$work/body" | grep -o '"Feature","id":"[^"]*","properties":{"id":"[^"]*"' |
    awk -F'"' '$6 == $12 { print $6; next } { print "MISMATCH " $6 " " $12 }'
}

# sql_ids TAIL: the reference: Khlong Toei's workplaces by SpatiaLite,
# WHERE ... ORDER BY ... as TAIL says.
sql_ids() {
  sqlite3 "$db" "SELECT load_extension('mod_spatialite');
    SELECT w.ext_id FROM workplaces w, areas a
    WHERE a.code = '1033' AND ST_Intersects(a.geom, w.geom) $1;" | sed '/^$/d'
}

# The table: CLI arguments | API query string | SQL tail (- when the
# filter is not plain SQL: the two doors are still compared).
while IFS='|' read -r cli api sql; do
  [ -n "$cli" ] || continue
  # shellcheck disable=SC2086
  rc=0; "$bin" -q query "$db" $cli --format ids >"$work/cli.txt" 2>"$work/err" || rc=$?
  if [ $rc -ne 0 ]; then bad "$cli: exit $rc: $(cat "$work/err")"; continue; fi
  api_ids "$api" >"$work/api.txt"
  if ! cmp -s "$work/cli.txt" "$work/api.txt"; then
    bad "$cli | $api: the doors differ: $(diff "$work/cli.txt" "$work/api.txt" | head -5 | tr '\n' ' ')"
    continue
  fi
  n=$(wc -l <"$work/cli.txt")
  if [ "$sql" != "-" ]; then
    sql_ids "$sql" >"$work/sql.txt"
    if ! cmp -s "$work/cli.txt" "$work/sql.txt"; then
      bad "$cli: differs from SpatiaLite ($n against $(wc -l <"$work/sql.txt")): $(diff "$work/cli.txt" "$work/sql.txt" | head -5 | tr '\n' ' ')"
      continue
    fi
  fi
  ok "$cli = $api ($n)"
done <<'TABLE'
--area 1033|area=1033|ORDER BY w.id
--area 1033 --class high|area=1033&class=high|AND w.risk_class = 'high' ORDER BY w.id
--area 1033 --class high,medium|area=1033&class=high,medium|AND w.risk_class IN ('high', 'medium') ORDER BY w.id
--area 1033 --class low --class HIGH|area=1033&class=low&class=HIGH|AND w.risk_class IN ('low', 'high') ORDER BY w.id
--area 1033 --class unscored|area=1033&class=unscored|AND w.risk_class IS NULL ORDER BY w.id
--area 1033 --sector fishing,seafood_processing|area=1033&sector=fishing,seafood_processing|AND w.sector IN ('fishing', 'seafood_processing') ORDER BY w.id
--area 1033 --sector FISHING|area=1033&sector=FISHING|AND w.sector = 'fishing' ORDER BY w.id
--area 1033 --sector Fishing --sector karaoke_bar|area=1033&sector=Fishing&sector=karaoke_bar|AND w.sector IN ('fishing', 'karaoke_bar') ORDER BY w.id
--area 1033 --min-risk 2.2|area=1033&min_risk=2.2|AND w.risk >= 2.2 ORDER BY w.id
--area 1033 --min-risk 2.2|area=1033&min-risk=2.2|AND w.risk >= 2.2 ORDER BY w.id
--area 1033 --status closed|area=1033&status=closed|AND w.status = 'closed' ORDER BY w.id
--area 1033 --seen-since 2008-06-01|area=1033&seen_since=2008-06-01|AND w.last_seen >= '2008-06-01' ORDER BY w.id
--area 1033 --changed-since 2007-01-01|area=1033&changed_since=2007-01-01|-
--area 1033 --limit 7|area=1033&limit=7|ORDER BY w.id LIMIT 7
--area 1033 --sort risk --limit 12|area=1033&sort=risk&limit=12|ORDER BY w.risk IS NULL, w.risk DESC, w.id LIMIT 12
--area 1033 --sort name --limit 12|area=1033&sort=name&limit=12|-
--area 1033 --sort id|area=1033&sort=id|ORDER BY w.id
--area 1033 --min-risk 2 --class high --sector fishing --status active|area=1033&min_risk=2&class=high&sector=fishing&status=active|AND w.risk >= 2 AND w.risk_class = 'high' AND w.sector = 'fishing' AND w.status = 'active' ORDER BY w.id
--bbox 100.55,13.70,100.57,13.72 --class high|bbox=100.55,13.70,100.57,13.72&class=high|-
--near 100.56,13.71 --radius 500m --sort distance|near=100.56,13.71&radius=500m&sort=distance|-
--near 100.56,13.71 --radius 1km --sort distance --limit 5 --sector fishing|near=100.56,13.71&radius=1km&sort=distance&limit=5&sector=fishing|-
--area 1033 --buffer 200m --class high|area=1033&buffer=200m&class=high|-
--area 1033 --hotspot consecutive|area=1033&hotspot=consecutive|-
--area 1033 --hotspot new,persistent --class high|area=1033&hotspot=new,persistent&class=high|-
--area 1033 --hotspot new --hotspot none --limit 20|area=1033&hotspot=new&hotspot=none&limit=20|-
TABLE

# The hotspot filter against hotspots --emerging's own CSV: Khlong Toei's
# workplaces (SpatiaLite, by id) whose category there is one of those asked.
while IFS='|' read -r words cats; do
  [ -n "$words" ] || continue
  awk -F, -v cats="$cats" 'BEGIN { n = split(cats, c, ";"); for (i = 1; i <= n; i++) want[c[i]] = 1 }
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == "category") col = i; next }
    ($col in want) { print $1 }' "$work/emerging.csv" | sort >"$work/cat.txt"
  sql_ids "ORDER BY w.id" | awk 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' \
    "$work/cat.txt" - >"$work/ref.txt"
  rc=0; "$bin" -q query "$db" --area 1033 --hotspot "$words" --format ids \
    >"$work/cli.txt" 2>"$work/err" || rc=$?
  api_ids "area=1033&hotspot=$words" >"$work/api.txt"
  n=$(wc -l <"$work/ref.txt")
  if [ $rc -eq 0 ] && [ "$n" -gt 0 ] && cmp -s "$work/cli.txt" "$work/ref.txt" &&
     cmp -s "$work/api.txt" "$work/ref.txt"; then
    ok "hotspot=$words: the $n workplaces hotspots --emerging calls $cats"
  else
    bad "hotspot=$words: exit $rc, $(wc -l <"$work/cli.txt") (CLI) and $(wc -l <"$work/api.txt") (API) against $n from the CSV: $(cat "$work/err")"
  fi
done <<'TABLE'
new|new hot spot
consecutive,persistent|consecutive hot spot;persistent hot spot
PERSISTENT,new|persistent hot spot;new hot spot
TABLE

# Bad values through both doors: exit 2 and 400, and the same words from
# "takes" (or the whole library message) on.
while IFS='|' read -r cli api words; do
  [ -n "$cli" ] || continue
  # shellcheck disable=SC2086
  rc=0; "$bin" -q query "$db" --area 1033 $cli --format ids >/dev/null 2>"$work/err" || rc=$?
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$base/api/query?area=1033&$api" || echo 000)
  if [ $rc -eq 2 ] && [ "$code" = 400 ] && grep -qF -- "$words" "$work/err" &&
     grep -qF -- "$words" "$work/body"; then
    ok "refused at both doors: $cli / $api"
  else
    bad "$cli / $api: exit $rc, HTTP $code, wanted 2, 400 and '$words': $(cat "$work/err") | $(cat "$work/body")"
  fi
done <<'TABLE'
--class purple|class=purple|takes low, medium, high or unscored (a comma list), not 'purple'
--class high,,low|class=high,,low|takes low, medium, high or unscored (a comma list), not 'high,,low'
--min-risk 9|min_risk=9|takes a number from 1 to 3, not '9'
--min-risk two|min_risk=two|takes a number from 1 to 3, not 'two'
--limit 0|limit=0|takes a whole number above 0, not '0'
--limit 5x|limit=5x|takes a whole number above 0, not '5x'
--status ajar|status=ajar|takes active, closed, unknown or open (not closed), not 'ajar'
--status active --status closed|status=active&status=closed|is given twice (it takes one value)
--seen-since 2026-13-45|seen_since=2026-13-45|takes a date YYYY-MM-DD, not '2026-13-45'
--changed-since garbage|changed_since=garbage|takes a date YYYY-MM-DD, not 'garbage'
--sort size|sort=size|takes risk, name, distance (a circle region) or id, not 'size'
--sector nope|sector=nope|unknown sector 'nope' (the sectors are: 
--sector fishing,,brothel|sector=fishing,,brothel|takes sector codes (a comma list), not 'fishing,,brothel'
--hotspot hot|hotspot=hot|hotspot takes emerging hot-spot categories: new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating, historical (hot spots), new-cold, consecutive-cold, ... historical-cold (cold spots), none (no pattern); a comma list, not 'hot'
--hotspot new,,persistent|hotspot=new,,persistent|, not 'new,,persistent'
TABLE

# sort=distance needs a circle: the words differ (the command line names its
# options), the refusal does not.
rc=0; "$bin" -q query "$db" --area 1033 --sort distance >/dev/null 2>&1 || rc=$?
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$base/api/query?area=1033&sort=distance" || echo 000)
if [ $rc -eq 2 ] && [ "$code" = 400 ] && grep -q 'circle region' "$work/body"; then
  ok "sort by distance without a circle: refused at both doors"
else bad "sort by distance without a circle: exit $rc, HTTP $code: $(cat "$work/body")"; fi

stop_server
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
