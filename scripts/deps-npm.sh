#!/bin/sh
# Installs the npm packages sinspace's tests use into tests/node (project
# local, nothing global; tests/node is ignored by git): two independent
# GeoJSON validators that tests/geojson_check.js runs on export output.
#   @placemarkio/check-geojson  RFC 7946 structure (successor of geojsonhint)
#   geojson-validation          RFC 7946 structure, a second opinion
# (@mapbox/geojsonhint itself cannot be installed from the registry alone:
# one of its dependencies is fetched from a git host.)
# Needs node and npm (scripts/deps-debian.sh).  Without these packages the
# export_cli test reports SKIP.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/tests/node"
if [ -d "$dest/node_modules/@placemarkio/check-geojson" ] &&
   [ -d "$dest/node_modules/geojson-validation" ]; then
  exit 0
fi
mkdir -p "$dest"
npm install --no-audit --no-fund --no-save --prefix "$dest" \
  @placemarkio/check-geojson@0.1.14 geojson-validation@1.0.2
