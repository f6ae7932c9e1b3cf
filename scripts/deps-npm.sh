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
if [ ! -d "$dest/node_modules/@placemarkio/check-geojson" ] ||
   [ ! -d "$dest/node_modules/geojson-validation" ]; then
  mkdir -p "$dest"
  npm install --no-audit --no-fund --no-save --prefix "$dest" \
    @placemarkio/check-geojson@0.1.14 geojson-validation@1.0.2
fi

# sinspace serve: the page's libraries (Leaflet, leaflet-draw), vendored
# into web/vendor-src at set-up and served by the server from memory, never
# from a CDN; and playwright-core, which drives Debian's chromium in the
# browser test (tests/web/browser.sh).  Versions are pinned by the committed
# web/package.json and web/package-lock.json.
web="$root/web/vendor-src"
if [ ! -f "$web/node_modules/leaflet/dist/leaflet.js" ] ||
   [ ! -f "$web/node_modules/leaflet-draw/dist/leaflet.draw.js" ] ||
   [ ! -d "$web/node_modules/playwright-core" ]; then
  mkdir -p "$web"
  cp "$root/web/package.json" "$root/web/package-lock.json" "$web/"
  npm ci --no-audit --no-fund --prefix "$web"
fi
