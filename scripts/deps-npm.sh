#!/bin/sh
# Installs the npm tools sinspace's tests use, into tests/node (project-local,
# nothing global): @mapbox/geojsonhint, an independent RFC 7946 GeoJSON
# validator (it checks structure, right-hand winding and foreign members).
# The export tests skip the validator check when it is absent.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$root/tests/node/node_modules/.bin/geojsonhint" ]; then
  exit 0
fi
mkdir -p "$root/tests/node"
npm install --silent --no-audit --no-fund --prefix "$root/tests/node" @mapbox/geojsonhint@3.3.0
