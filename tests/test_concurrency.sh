#!/bin/sh
# test_concurrency.sh: readers keep answering while a writer holds the
# database (docs/store.md, "Concurrent use").
#
# 1. A big import runs; queries (ids to stdout, CSV to a file), exports
#    and maps run in a loop until it ends.  Every one must succeed, and
#    the audit table, counted by the sqlite3 shell (not by sinspace), must
#    end with exactly one row for each of them.
# 2. The sqlite3 shell holds the write lock (BEGIN IMMEDIATE) while a query
#    runs: the query answers at once and its audit row is queued, then
#    recorded by the next write.  With the queue made unwritable the query
#    fails (exit 1) and prints nothing to stdout.
#
# The import's size is SINSPACE_CONCURRENCY_ROWS rows (default 250000,
# a few seconds on an idle machine; 400000 by hand).  Part 2 checks the
# queue deterministically, whatever the number of rounds in part 1.
set -eu
B=${SINSPACE_BIN:?}
ROWS=${SINSPACE_CONCURRENCY_ROWS:-250000}
T=$(mktemp -d)
IMPORT_PID=""
LOCK_PID=""
cleanup() {
  [ -n "$IMPORT_PID" ] && kill "$IMPORT_PID" 2>/dev/null || true
  [ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT INT TERM
passed=0
fail() { echo "FAIL: $*"; echo "concurrency: $passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); echo "ok: $*"; }
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: no sqlite3 shell"; exit 77; }
count() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE command = '$1'"; }

DB=$T/db.sqlite
"$B" -q init "$DB"
# Fictional workplaces on a grid over northern Thailand, one scored
# observation each.
awk -v n="$ROWS" 'BEGIN {
  srand(7);
  split("fishing brothel construction agriculture restaurant karaoke_bar", sec, " ");
  print "id,name,sector,lon,lat,observed,risk";
  for (i = 1; i <= n; i++)
    printf "C-%07d,Workplace %d,%s,%.6f,%.6f,2025-0%d-1%d,%.2f\n", i, i,
           sec[1 + i % 6], 97.5 + (i % 1000) * 0.003, 17.0 + int(i / 1000) % 1000 * 0.003,
           1 + i % 9, i % 10, 1 + (i % 200) / 100.0;
}' > "$T/big.csv"

start=$(date +%s)
"$B" -q import "$DB" "$T/big.csv" > "$T/import.out" 2> "$T/import.err" &
IMPORT_PID=$!
nq=0 ne=0 nm=0 rounds=0 failures=0
run() { # label, then the command; its stderr is kept for the report
  if ! "$@" > "$T/out" 2> "$T/err"; then
    failures=$((failures + 1))
    echo "failed during the import: $*"; cat "$T/err"
  fi
}
while kill -0 "$IMPORT_PID" 2>/dev/null; do
  rounds=$((rounds + 1))
  run "$B" -q query "$DB" --bbox 97.5,17,98,17.5 --format ids
  nq=$((nq + 1))
  run "$B" -q query "$DB" --bbox 97.5,17,97.6,17.1 --format csv -o "$T/q$rounds.csv"
  nq=$((nq + 1))
  run "$B" -q export "$DB" workplaces --audience partner --bbox 97.5,17,97.6,17.1 \
      -o "$T/e$rounds.geojson"
  ne=$((ne + 1))
  run "$B" -q map "$DB" --bbox 97.5,17,97.6,17.1 --dpi 40 -o "$T/m$rounds.png"
  nm=$((nm + 1))
done
IMPORT_RC=0
wait "$IMPORT_PID" || IMPORT_RC=$?
IMPORT_PID=""
echo "import of $ROWS rows: $(( $(date +%s) - start )) s, exit $IMPORT_RC;" \
     "$rounds rounds of query, query -o, export, map alongside"
[ "$IMPORT_RC" = 0 ] || { cat "$T/import.err"; fail "the import failed"; }
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM workplaces')" = "$ROWS" ] || fail "import count"
[ "$failures" = 0 ] || fail "$failures of $((nq + ne + nm)) reads failed during the import"
[ "$rounds" -ge 1 ] || fail "no round ran during the import: raise SINSPACE_CONCURRENCY_ROWS"
[ "$rounds" -ge 3 ] || echo "note: only $rounds round(s) ran during the import"
ok "$((nq + ne + nm)) reads during the import, none failed"

# Any later write carries the rows still queued into the table.
"$B" -q query "$DB" --bbox 97.5,17,97.6,17.1 --format ids > /dev/null
nq=$((nq + 1))
[ "$(count query)" = "$nq" ] || fail "audit has $(count query) query rows, $nq queries ran"
[ "$(count export)" = "$ne" ] || fail "audit has $(count export) export rows, $ne exports ran"
[ "$(count map)" = "$nm" ] || fail "audit has $(count map) map rows, $nm maps ran"
[ "$(count import)" = 1 ] || fail "audit has $(count import) import rows"
[ ! -s "$DB-audit-queue" ] || fail "rows left in the queue: $(cat "$DB-audit-queue")"
ok "the audit table holds every read's row ($nq queries, $ne exports, $nm maps)"

# 2. The write lock held by another program.
hold_lock() { # seconds
  { echo "BEGIN IMMEDIATE; INSERT INTO sinspace_meta VALUES ('lock-test', 'x');"
    sleep "$1"; echo "ROLLBACK;"; } | sqlite3 "$DB" &
  LOCK_PID=$!
  sleep 1
}
before=$(count query)
hold_lock 6
t0=$(date +%s)
"$B" -q query "$DB" --bbox 97.5,17,97.503,17.003 --format ids > "$T/held.out" \
  || fail "query while the lock is held"
[ $(( $(date +%s) - t0 )) -le 3 ] || fail "the query waited for the lock"
[ -s "$T/held.out" ] || fail "no ids while the lock is held"
[ -s "$DB-audit-queue" ] || fail "the query's row is not queued"
"$B" -q audit "$DB" | awk -F '\t' '$1 == 0 && $4 == "query"' | grep -q . \
  || fail "sinspace audit does not list the queued row"
ok "a query answers while another program holds the write lock; its row is queued"

# A queue that cannot be written: the query fails and prints nothing.
mv "$DB-audit-queue" "$T/queue.saved"
mkdir "$DB-audit-queue"
rc=0
"$B" -q query "$DB" --bbox 97.5,17,97.503,17.003 --format ids > "$T/failed.out" 2> "$T/failed.err" || rc=$?
[ "$rc" = 1 ] || fail "a query whose audit row cannot be kept exits $rc"
[ ! -s "$T/failed.out" ] || fail "a failed query printed: $(head -3 "$T/failed.out")"
grep -q 'audit' "$T/failed.err" || fail "no reason given: $(cat "$T/failed.err")"
rmdir "$DB-audit-queue"
mv "$T/queue.saved" "$DB-audit-queue"
wait "$LOCK_PID" || true
LOCK_PID=""
ok "a query that cannot record its audit row prints nothing and exits 1"

"$B" -q query "$DB" --bbox 97.5,17,97.503,17.003 --format ids > /dev/null
[ "$(count query)" = $((before + 2)) ] || fail "queued row not recorded: $(count query) vs $((before + 2))"
[ ! -s "$DB-audit-queue" ] || fail "queue not emptied"
ok "the next write records the queued row"
echo "concurrency: $passed passed, 0 failed"
