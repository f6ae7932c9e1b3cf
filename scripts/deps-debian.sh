#!/bin/sh
# Installs the Debian 12 packages sinspace needs to build, test and run.
# Run as root.  Every package the project uses is listed here and nowhere
# else, so a fresh machine (and CI) gets exactly what a developer has.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="
build-essential pkg-config meson ninja-build python3
libgdal-dev gdal-bin libproj-dev proj-bin proj-data libgeos-dev
libspatialite-dev libsqlite3-mod-spatialite spatialite-bin sqlite3 libsqlite3-dev
libcairo2-dev libpng-dev libpango1.0-dev libxml2-dev libmicrohttpd-dev
librsvg2-dev
libcriterion-dev clang libclang-rt-14-dev time
nettle-dev
postgresql-15 postgresql-15-postgis-3
chromium wrk curl
fonts-noto-core fonts-noto-cjk fonts-noto-extra fonts-dejavu-core
"
# Node.js and npm (the test validators, the web map's vendored libraries):
# Debian's packages, unless a Node.js that brings its own npm is already
# there (NodeSource's nodejs conflicts with Debian's npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PKGS="$PKGS nodejs npm"
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
fi
