#!/bin/sh
# The anchors the benchmarks compare sinspace with (bench/run.py): PostGIS
# and Mapnik.  Not needed to build or test sinspace.  Run as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-15-postgis-3 \
  python3-mapnik gdal-bin spatialite-bin sqlite3 time
