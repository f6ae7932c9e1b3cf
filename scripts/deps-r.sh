#!/bin/sh
# The dev tools that write the hot-spot reference values
# (tests/data/hotspots/make_reference.R) and the spdep benchmark
# (bench/hotspots_spdep.R): R and spdep from Debian.  Not needed to build
# or test sinspace (the reference values are committed).  Run as root.
# No recommends: they pull in fonts-mathjax, whose private-use glyphs make
# the render test thai_names_have_no_unknown_glyphs fail.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends r-base-core r-cran-spdep
