#!/bin/sh
# browser.sh: the serve page in headless Chromium (Debian's, driven by
# playwright-core from npm): drawing a polygon lists exactly the workplaces
# `sinspace query --within` that polygon lists.  The screenshot is kept in
# SINSPACE_WEB_SHOTS when set (for a person to look at).
# Exit 77 (meson: skipped) when Chromium or playwright-core is missing;
# under CI=true that is a failure naming what is missing.
set -eu
. "$(dirname "$0")/lib.sh"
vendor=${SINSPACE_WEB_VENDOR:-$top/web/vendor-src/node_modules}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || skip "needs $chromium (Debian package chromium)"
[ -d "$vendor/playwright-core" ] || skip "needs playwright-core in $vendor (scripts/deps-npm.sh)"
command -v node >/dev/null || skip "needs node (Debian package nodejs)"
make_db
start_server
echo "server at $base"
timeout 180 node "$top/tests/web/browser.js" "$base" "$work"
# The same polygon through the command line.
"$bin" query "$db" --within "$work/region.geojson" --format csv -o "$work/cli.csv"
tail -n +2 "$work/cli.csv" | cut -d, -f1 | sort >"$work/cli-ids.txt"
sort "$work/ids.txt" >"$work/page-ids.txt"
n=$(wc -l <"$work/page-ids.txt")
if ! cmp -s "$work/cli-ids.txt" "$work/page-ids.txt"; then
  echo "FAIL: the page and sinspace query --within differ:" >&2
  diff "$work/cli-ids.txt" "$work/page-ids.txt" | head -20 >&2
  exit 1
fi
echo "page and sinspace query --within agree on $n workplaces"
# Every API call left an audit row.
"$bin" audit "$db" >"$work/audit.txt"
grep -q 'POST /api/query' "$work/audit.txt" || { echo "FAIL: no audit row for the query" >&2; exit 1; }
if [ -n "${SINSPACE_WEB_SHOTS:-}" ]; then
  mkdir -p "$SINSPACE_WEB_SHOTS"
  cp "$work/page.png" "$SINSPACE_WEB_SHOTS/serve-page.png"
fi
stop_server
echo "1 passed, 0 failed"
