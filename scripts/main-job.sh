#!/bin/sh
# The main job on the sample database: what a surveillance team runs.
set -eu
cd "$(dirname "$0")/.."
SINSPACE=${SINSPACE:-build/src/cli/sinspace}
DB=samples/sinspace-sample.sqlite
"$SINSPACE" info "$DB"
