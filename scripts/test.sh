#!/bin/sh
# The README's second command, and what CI runs (.ci/run): installs what
# sinspace needs, then builds and runs every test twice, once plainly and
# once with AddressSanitizer and UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps-debian.sh
if [ -x scripts/deps-npm.sh ]; then ./scripts/deps-npm.sh; fi

run_suite() {
  dir=$1; shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  meson compile -C "$dir"
  meson test -C "$dir" --print-errorlogs --num-processes 2
}

run_suite build
# Sanitizers: any error aborts the test that hit it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Library allocations kept until exit by design, each explained in the file.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
# Fuzzers, bounded: each target for FUZZ_SECONDS (default 20) over its corpus.
./scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
echo "sinspace: all tests passed, plain and with ASan+UBSan; fuzzers found nothing"
