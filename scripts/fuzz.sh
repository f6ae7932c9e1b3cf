#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a
# bounded time over a copy of its seed corpus.  Any crash fails the script
# and leaves the reproducer in build-fuzz/crashes/NAME/; add it to
# tests/fuzz/corpus/NAME/ once fixed, so `meson test` replays it forever.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -eu
cd "$(dirname "$0")/.."
secs=${1:-30}
if [ -d build-fuzz ]; then
  CC=clang meson setup --reconfigure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled >/dev/null
else
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled >/dev/null
fi
meson compile -C build-fuzz
status=0
for exe in build-fuzz/tests/fuzz/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=${exe##*/fuzz_}
  work=$(pwd)/build-fuzz/corpus-run/$name
  crashes=$(pwd)/build-fuzz/crashes/$name
  rm -rf "$work"; mkdir -p "$work" "$crashes"
  cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
  log=build-fuzz/fuzz-$name.log
  if "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$crashes/" "$work" >"$log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    echo "fuzz $name: $runs executions in ${secs}s, no finding"
  else
    echo "fuzz $name: FINDING, see $log and $crashes" >&2
    tail -30 "$log" >&2
    status=1
  fi
done
exit $status
