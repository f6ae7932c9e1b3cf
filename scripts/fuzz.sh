#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan, the library's
# components instrumented for coverage: src/meson.build) and runs each for
# a bounded time over a copy of its corpus in tests/fuzz/corpus/NAME.
#
# Fails when:
#  - a target finds a crash, leak, timeout or trap: the reproducer is left
#    in build-fuzz/crashes/NAME/; add it to tests/fuzz/corpus/NAME/ once
#    fixed, so `meson test` (fuzz-replay-NAME) replays it forever;
#  - a target listed in tests/fuzz/floors.txt was not built, or a target
#    was built that has no floor there;
#  - a target's final coverage (libFuzzer's last "cov:" count, edges of the
#    library and harness reached) is below its floor: a fuzzer that stops
#    seeing the code it is meant to explore can never pass again.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [--merge] [NAME...]
#   SECONDS_PER_TARGET  default 30 (scripts/test.sh gives FUZZ_SECONDS, 20)
#   --merge             afterwards, add to tests/fuzz/corpus/NAME the inputs
#                       of this run that reach new coverage (libFuzzer
#                       -merge=1: only those, so the corpus stays minimal);
#                       review and commit them
#   NAME...             only these targets (the floors of the others are not
#                       checked)
set -eu
cd "$(dirname "$0")/.."
secs=30
merge=0
only=
for a in "$@"; do
  case $a in
    --merge) merge=1 ;;
    [0-9]*) secs=$a ;;
    *) only="$only $a" ;;
  esac
done
floors=tests/fuzz/floors.txt
[ -f "$floors" ] || { echo "fuzz: $floors is missing" >&2; exit 1; }
if [ -d build-fuzz ]; then
  CC=clang meson setup --reconfigure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled >/dev/null
else
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled >/dev/null
fi
meson compile -C build-fuzz
# The library's long-lived allocations, as for the test suite.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
# GDAL's block cache stays well under libFuzzer's RSS limit.
export GDAL_CACHEMAX=${GDAL_CACHEMAX:-64}
status=0
wanted() {
  [ -z "$only" ] && return 0
  case " $only " in *" $1 "*) return 0 ;; esac
  return 1
}
# Every target built must have a floor.
for exe in build-fuzz/tests/fuzz/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=${exe##*/fuzz_}
  if ! grep -q "^$name[[:space:]]" "$floors"; then
    echo "fuzz $name: FAIL: no coverage floor in $floors" >&2
    status=1
  fi
done
# Every target named on the command line must have a floor.
for name in $only; do
  if ! grep -q "^$name[[:space:]]" "$floors"; then
    echo "fuzz $name: FAIL: no such target in $floors" >&2
    status=1
  fi
done
summary=
# shellcheck disable=SC2013
while read -r name floor rest; do
  case $name in ''|'#'*) continue ;; esac
  wanted "$name" || continue
  exe=build-fuzz/tests/fuzz/fuzz_$name
  if [ ! -x "$exe" ]; then
    echo "fuzz $name: FAIL: target not built ($exe missing; see tests/fuzz/meson.build)" >&2
    status=1
    continue
  fi
  if [ ! -d tests/fuzz/corpus/"$name" ]; then
    echo "fuzz $name: FAIL: no corpus tests/fuzz/corpus/$name" >&2
    status=1
    continue
  fi
  work=$(pwd)/build-fuzz/corpus-run/$name
  crashes=$(pwd)/build-fuzz/crashes/$name
  rm -rf "$work"; mkdir -p "$work" "$crashes"
  cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
  log=build-fuzz/fuzz-$name.log
  if "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
       -timeout=60 -artifact_prefix="$crashes/" "$work" >"$log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    if [ "${cov:-0}" -lt "$floor" ]; then
      echo "fuzz $name: FAIL: coverage $cov below its floor $floor ($runs executions in ${secs}s; see $log)" >&2
      status=1
    else
      echo "fuzz $name: $runs executions in ${secs}s, coverage $cov (floor $floor), no finding"
    fi
    summary="$summary $name=$cov"
    if [ $merge = 1 ]; then
      before=$(ls tests/fuzz/corpus/"$name" | wc -l)
      "$exe" -merge=1 -rss_limit_mb=2048 -max_len=65536 tests/fuzz/corpus/"$name" "$work" \
        >"build-fuzz/merge-$name.log" 2>&1 ||
        { echo "fuzz $name: merge failed, see build-fuzz/merge-$name.log" >&2; status=1; }
      after=$(ls tests/fuzz/corpus/"$name" | wc -l)
      echo "fuzz $name: corpus $before -> $after inputs"
    fi
  else
    echo "fuzz $name: FINDING, see $log and $crashes" >&2
    tail -30 "$log" >&2
    status=1
  fi
done <"$floors"
echo "fuzz coverage:$summary"
exit $status
