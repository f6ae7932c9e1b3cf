#!/bin/sh
# bench_export.sh: times `sinspace export` of N generated workplaces against
# ogr2ogr's RFC 7946 GeoJSON writer (docs/export.md, Performance).
# Usage: tools/bench_export.sh BUILD_DIR [N] [WORKDIR]
set -eu
build=${1:?build dir}
n=${2:-100000}
work=${3:-$(mktemp -d)}
src=$(cd "$(dirname "$0")/.." && pwd)
B=$build/src/cli/sinspace
cd "$work"
if [ ! -f bench.sqlite ]; then
  python3 "$src/tools/gen_workplaces.py" "$n" 7 workplaces.csv
  "$B" -q init bench.sqlite
  "$B" -q import bench.sqlite "$src/tests/data/chiang_mai_amphoe.geojson" --level district
  "$B" -q import bench.sqlite "$src/tests/data/chiang_mai_tambon.geojson" --level subdistrict
  "$B" -q import bench.sqlite workplaces.csv
fi
measure() {
  label=$1; shift
  /usr/bin/time -v "$@" 2> time.txt >/dev/null
  printf '%-28s wall %-8s user %6ss  peak RSS %s kB\n' "$label" \
    "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' time.txt)" \
    "$(sed -n 's/.*User time (seconds): //p' time.txt)" \
    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt)"
}
for aud in public partner internal; do
  measure "sinspace export $aud" "$B" -q export bench.sqlite workplaces -o "w-$aud.geojson" --audience "$aud"
done
rm -f ogr.geojson
measure "ogr2ogr RFC7946" ogr2ogr -f GeoJSON -lco RFC7946=YES ogr.geojson bench.sqlite "workplaces(geom)"
ls -l ./*.geojson
echo "work folder: $work"
