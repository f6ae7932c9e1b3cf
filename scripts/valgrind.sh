#!/bin/sh
# Runs the test suite under valgrind memcheck, by hand (not in CI: it takes
# far longer than the 10 minutes the CI suite may use).
#
#   scripts/valgrind.sh              every test
#   scripts/valgrind.sh csv cli      only these tests (names as `meson test --list`)
#
# Builds a plain debug build in build-valgrind (no sanitizer: valgrind and
# ASan do not mix), then runs each test with valgrind as meson's wrapper,
# one test at a time on one core.  Valgrind follows children: the Criterion
# workers (Criterion re-executes the test binary for each test), the
# sinspace binary the tests spawn ($SINSPACE_BIN, directly or through
# /bin/sh -c), tools/sinspace-gen and the shell scripts.  It does not
# follow the system programs the tests call (coreutils, sqlite3, ogrinfo,
# gdalwarp, curl, node, chromium, PostgreSQL ...): their memory is not ours,
# and under valgrind they would only make the run slower.  /bin/sh itself is
# followed, because system() and the shell tests reach sinspace through it.
#
# Fails (exit 1) if valgrind reports any memory error, or any definitely or
# indirectly lost block that tests/valgrind.supp does not suppress, in any
# process.  That file suppresses only the libraries' one-time allocations
# kept until exit, each explained.  "Still reachable" blocks are not
# counted: they are what every process holds at exit (library singletons).
#
# Excluded:
#   serve_browser  headless Chromium driven by node/Playwright: nearly all
#                  its work is in the browser, which valgrind does not
#                  follow, and the page's requests have 30 s timeouts
#                  meant for a native server.  The same server code is
#                  covered by serve_api (every endpoint, through curl, with
#                  `sinspace serve` under valgrind) and by the `serve`
#                  Criterion test.
#   postgis        is kept: `sinspace query` is followed as in the other
#                  shell tests, PostgreSQL and psql are not.  (It skips
#                  itself where PostgreSQL 15 + PostGIS are missing.)
# Set VALGRIND_EXCLUDE to a space-separated list to change the exclusions.
#
# Per-process logs: build-valgrind/valgrind/TEST/PID.log; a summary line per
# test (time, processes, errors, definitely and indirectly lost bytes) is
# printed at the end and kept in build-valgrind/valgrind/summary.txt.
# Every log carries --gen-suppressions blocks for whatever was reported,
# ready to study (not to paste blindly: a leak in src/ is a bug to fix).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
dir=build-valgrind
exclude=${VALGRIND_EXCLUDE-serve_browser}

command -v valgrind >/dev/null 2>&1 || { echo "valgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }

if [ -d "$dir" ]; then
  meson setup --reconfigure "$dir" -Dbuildtype=debug -Dfuzz=false -Db_sanitize=none >/dev/null
else
  meson setup "$dir" -Dbuildtype=debug -Dfuzz=false -Db_sanitize=none >/dev/null
fi
meson compile -C "$dir" -j 2 >/dev/null

# System programs not to follow (patterns match the path given to exec).
skip='*/rm,*/cp,*/mv,*/ln,*/cat,*/cmp,*/diff,*/sort,*/uniq,*/grep,*/egrep,*/sed'
skip=$skip',*/awk,*/mawk,*/gawk,*/head,*/tail,*/wc,*/tr,*/cut,*/od,*/xxd,*/tee'
skip=$skip',*/mktemp,*/mkdir,*/rmdir,*/touch,*/chmod,*/stat,*/ls,*/find,*/xargs'
skip=$skip',*/dirname,*/basename,*/realpath,*/readlink,*/printf,*/date,*/env'
skip=$skip',*/sleep,*/timeout,*/kill,*/file,*/sha256sum,*/md5sum,*/python3*'
skip=$skip',*/sqlite3,*/ogr*,*/gdal*,*/cs2cs,*/proj*,*/curl,*/node,*/nodejs'
skip=$skip',*/chromium*,*/chrome*,*/psql,*/pg_*,*/postgres,*/initdb'
skip=$skip',*/id,*/chown,*/runuser,*/su,*/sudo,*/setpriv,*/whoami'

logs=$top/$dir/valgrind
rm -rf "$logs"
mkdir -p "$logs"

wrapper="valgrind --tool=memcheck --error-exitcode=99 --leak-check=full"
wrapper="$wrapper --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect"
wrapper="$wrapper --track-origins=no --num-callers=30 --child-silent-after-fork=no"
wrapper="$wrapper --trace-children=yes --trace-children-skip=$skip"
wrapper="$wrapper --suppressions=$top/tests/valgrind.supp --gen-suppressions=all"

if [ $# -gt 0 ]; then
  tests=$*
else
  tests=$(meson test -C "$dir" --list 2>/dev/null | sed -n 's/^[^/]* \/ //p')
fi

status=0
summary=$logs/summary.txt
printf '%-20s %6s %5s %7s %10s %10s  %s\n' test seconds procs errors definite indirect result >"$summary"
for t in $tests; do
  case " $exclude " in
    *" $t "*) printf '%-20s %6s %5s %7s %10s %10s  %s\n' "$t" - - - - - excluded >>"$summary"; continue ;;
  esac
  mkdir -p "$logs/$t"
  start=$(date +%s)
  result=ok
  # Valgrind makes everything 20-50 times slower: multiply the timeouts.
  if ! meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 1 --timeout-multiplier 20 \
         --wrapper "$wrapper --log-file=$logs/$t/%p.log" "$t" >"$logs/$t.meson.txt" 2>&1; then
    result=FAILED
  fi
  secs=$(( $(date +%s) - start ))
  procs=$(ls "$logs/$t" | wc -l)
  errors=$(cat "$logs/$t"/*.log 2>/dev/null | sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' | tr -d , | awk '{s += $1} END {print s + 0}')
  definite=$(cat "$logs/$t"/*.log 2>/dev/null | sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' | tr -d , | awk '{s += $1} END {print s + 0}')
  indirect=$(cat "$logs/$t"/*.log 2>/dev/null | sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' | tr -d , | awk '{s += $1} END {print s + 0}')
  # A test that skipped itself (exit 77: a program it needs is missing).
  if [ "$result" = ok ] && grep -q '^ *Skipped: *[1-9]' "$logs/$t.meson.txt"; then result=skipped; fi
  if [ "$errors" -ne 0 ] || [ "$result" = FAILED ]; then
    result=FAILED
    status=1
  fi
  printf '%-20s %6s %5s %7s %10s %10s  %s\n' "$t" "$secs" "$procs" "$errors" "$definite" "$indirect" "$result" | tee -a "$summary"
done

echo
cat "$summary"
if [ $status -ne 0 ]; then
  echo
  echo "valgrind.sh: errors or leaks; the reports, with stacks and suppression"
  echo "blocks, are in the logs below (build-valgrind/valgrind/TEST.meson.txt has"
  echo "the test's own output):"
  grep -l 'ERROR SUMMARY: [1-9]' "$logs"/*/*.log 2>/dev/null | head -20
fi
exit $status
