#!/bin/sh
# mutate.sh: mutation testing by hand, before a release (not in CI).
#
# Applies, one at a time, a curated list of behaviour-changing mutations of
# the source (thresholds, redaction, file modes, exit statuses, transaction
# boundaries, bound parameters, audit rows, security headers), each to a
# copy of the tree, rebuilds, runs the tests named for it, and reports
# whether the tests noticed (KILLED) or not (SURVIVED).  The tree you work
# in is never touched: the copy lives in build-mutate/ (or MUTATE_DIR).
#
# Every mutation must be killed.  A survivor means a claim no test checks:
# add the test that kills it.  A mutation whose text is no longer in its
# file is reported NOT-APPLIED and fails the run too: update the list when
# the code moves, so it never silently tests nothing.
#
# Tests per mutation: a meson test name (serve_api, cli, ...), or
# SUITE/PATTERN for a Criterion filter of tests/test_SUITE (guards/risk_*),
# so each mutation runs the tests that concern it, not the whole suite (the
# whole plain suite per mutation takes far longer; use --full for that).
# Before the mutations the same tests run on the unmutated copy: all must
# pass, or nothing is learnt.
#
# Usage: scripts/mutate.sh [--full] [--keep] [ID...]
#   --full   run the whole plain suite for each mutation (slow)
#   --keep   keep the copy (build-mutate/, or MUTATE_DIR) for a next run
#   ID...    only these mutations
# Output: a table (id, file, tests, result), also in $MUTATE_DIR/results.txt;
# exit 0 only when every mutation run was killed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
full=0
keep=0
only=
for a in "$@"; do
  case $a in
    --full) full=1 ;;
    --keep) keep=1 ;;
    -*) echo "mutate.sh: unknown option $a" >&2; exit 2 ;;
    *) only="$only $a" ;;
  esac
done

# Not under /tmp: serve_api checks the server with a read-only /tmp.
work=${MUTATE_DIR:-$top/build-mutate}
mkdir -p "$work"
tree=$work/tree
cleanup() {
  if [ $keep = 0 ] && [ -z "${MUTATE_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ------------------------------------------------------------------------
# The list.  Blocks separated by a blank line:
#   id: NAME
#   file: PATH (from the top of the tree)
#   tests: meson test names and/or SUITE/PATTERN
#   what: the behaviour the mutation breaks
#   -OLD LINE   (lines of text that must occur exactly once in the file)
#   +NEW LINE   (what they become)
cat >"$work/list.txt" <<'LIST'
id: risk-class-high
file: src/core/risk.c
tests: risk guards/risk_class*
what: a first import classes a risk of exactly 2.333 medium, not high
-    if (risk >= SINSPACE_RISK_HIGH)
+    if (risk > SINSPACE_RISK_HIGH)

id: risk-class-medium
file: src/core/risk.c
tests: risk guards/risk_class*
what: a first import classes a risk of exactly 1.667 low, not medium
-    if (risk >= SINSPACE_RISK_MEDIUM)
+    if (risk > SINSPACE_RISK_MEDIUM)

id: reimport-class-high
file: src/store/spatialite_import.c
tests: guards/risk_class*
what: (survivor of issue 22) a re-imported workplace with risk exactly 2.333 classed medium
-        "  WHEN x.risk >= ?1 THEN 'high' WHEN x.risk >= ?2 THEN 'medium'"
+        "  WHEN x.risk > ?1 THEN 'high' WHEN x.risk >= ?2 THEN 'medium'"

id: reimport-class-medium
file: src/store/spatialite_import.c
tests: guards/risk_class*
what: a re-imported workplace with risk exactly 1.667 classed low
-        "  WHEN x.risk >= ?1 THEN 'high' WHEN x.risk >= ?2 THEN 'medium'"
+        "  WHEN x.risk >= ?1 THEN 'high' WHEN x.risk > ?2 THEN 'medium'"

id: replaced-file-keeps-0644
file: src/core/outfile.c
tests: guards/replaced_files*
what: (survivor of issue 22) a file written over an existing 0644 file (map, export, rejects, .prj, .aux.xml) keeps 0644
-    if (!e && chmod(of->temp, 0600) != 0)
+    if (!e && chmod(of->temp, 0644) != 0)

id: ogr-export-files-0644
file: src/io/export_ogr.c
tests: guards/replaced_files*
what: files of an OGR export (GPKG, Shapefile...) published 0644
-        } else if (chmod(from, 0600) != 0) {
+        } else if (chmod(from, 0644) != 0) {

id: public-observation-names
file: src/io/export.c
tests: guards/public_observations*
what: (survivor of issue 22) public observations keep the workplace's name
-    {"workplace", SINSPACE_VALUE_TEXT, PAR | INT},
-    {"name", SINSPACE_VALUE_TEXT, PAR | INT},
+    {"workplace", SINSPACE_VALUE_TEXT, PAR | INT},
+    {"name", SINSPACE_VALUE_TEXT, ALL},

id: public-workplace-names
file: src/io/export.c
tests: export/public_points_are_displaced* guards/public_observations*
what: public workplaces keep their names
-    {"id", SINSPACE_VALUE_TEXT, PAR | INT},
-    {"name", SINSPACE_VALUE_TEXT, PAR | INT},
+    {"id", SINSPACE_VALUE_TEXT, PAR | INT},
+    {"name", SINSPACE_VALUE_TEXT, ALL},

id: partner-sees-address
file: src/io/export.c
tests: export/partner_has_exact_points*
what: a partner export carries workplace addresses
-    {"address", SINSPACE_VALUE_TEXT, INT},
+    {"address", SINSPACE_VALUE_TEXT, PAR | INT},

id: public-observations-exact
file: src/io/export.c
tests: guards/public_observations*
what: (survivor of issue 22) public observations published at their exact coordinates
-        if (public_ && isfinite(lon) && isfinite(lat)) {
+        if (public_ && isfinite(lon) && isfinite(lat) && ex->o->layer == SINSPACE_EXPORT_WORKPLACES) {

id: k-suppression-off-by-one
file: src/io/export.c
tests: guards/k_suppression*
what: (survivor of issue 22) an area with exactly --min-count workplaces suppressed ("fewer than" in the docs)
-            int small = count > 0 && count < ex->o->min_count;
+            int small = count > 0 && count <= ex->o->min_count;

id: geomask-urban-limit
file: src/geo/geomask.h
tests: guards/displacement*
what: (survivor of issue 22) urban points displaced up to 2.5 km, not 2 km
-#define SINSPACE_GEOMASK_URBAN_M 2000.0
+#define SINSPACE_GEOMASK_URBAN_M 2500.0

id: geomask-rural-limit
file: src/geo/geomask.h
tests: guards/displacement*
what: rural points displaced up to 6 km, not 5 km
-#define SINSPACE_GEOMASK_RURAL_M 5000.0
+#define SINSPACE_GEOMASK_RURAL_M 6000.0

id: exit-invalid-input
file: src/cli/main.c
tests: cli/import_one_bad_row_exits_3* cli/import_bad_header*
what: invalid input data exits 1, not 3
-    case SINSPACE_INVALID_INPUT: return EXIT_INVALID;
+    case SINSPACE_INVALID_INPUT: return EXIT_FAILURE_;

id: exit-usage
file: src/cli/main.c
tests: cli/bad_command_options guards/library_usage*
what: a usage error the library finds (serve --token short) exits 1, not 2
-    case SINSPACE_INVALID_ARGUMENT: return EXIT_USAGE;
+    case SINSPACE_INVALID_ARGUMENT: return EXIT_FAILURE_;

id: import-commits-on-failure
file: src/io/import.c
tests: cli/import_one_bad_row_exits_3* import/interrupted_by_progress*
what: an import with an invalid row commits the good rows (the transaction's rollback turned into a commit)
-    ops->end(im.load, 0);
+    ops->end(im.load, 1);

id: indicators-commit-on-failure
file: src/io/import_indicators.c
tests: import/indicator_catalogue_*
what: a refused indicator catalogue is committed half-written
-            ops->indicators_end(store, 0);
+            ops->indicators_end(store, 1);

id: fence-name-spliced
file: src/store/spatialite_fences.c
tests: guards/hostile*
what: a fence's name spliced into the SQL text of the fence lookup instead of bound
-    sinspace_status st = sinspace__prepare(store,
-        "SELECT AsBinary(geom) FROM fences WHERE name = ?1", &stmt);
+    char *spliced_ = sqlite3_mprintf("SELECT AsBinary(geom) FROM fences WHERE name = '%s'", name);
+    sinspace_status st = sinspace__prepare(store, spliced_, &stmt);
+    sqlite3_free(spliced_);

id: fence-remove-spliced
file: src/store/spatialite_fences.c
tests: guards/hostile*
what: a fence's name spliced into the SQL text of its removal instead of bound
-    if ((st = sinspace__prepare(store, "DELETE FROM fences WHERE name = ?1", &stmt)))
+    char *spliced_ = sqlite3_mprintf("DELETE FROM fences WHERE name = '%s'", name);
+    st = sinspace__prepare(store, spliced_, &stmt);
+    sqlite3_free(spliced_);
+    if (st)

id: export-not-audited
file: src/io/export.c
tests: export/region_and_filter* export/failures_leave_nothing
what: an export writes no audit row
-        st = sinspace_audit_record(store, &e);
+        st = SINSPACE_OK;

id: api-not-audited
file: src/serve/http.c
tests: serve_headers
what: a web API call writes no audit row
-    audit_call(s, method, url, r.what[0] ? r.what : NULL, r.audience,
-               r.filters[0] ? r.filters : NULL, r.code, r.rows);
+    (void)audit_call;

id: header-nosniff
file: src/serve/reply.c
tests: serve_headers
what: answers without X-Content-Type-Options: nosniff
-    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
+    (void)0;

id: header-csp-framing
file: src/serve/reply.c
tests: serve_headers
what: the Content-Security-Policy lets other sites frame the page
-        "frame-ancestors 'none'");
+        "frame-ancestors *");

id: host-guard-open
file: src/serve/http.c
tests: serve/loopback_without_token
what: without a token the server answers any Host name (DNS rebinding)
-    if (!host)
-        return 0;
+    if (!host || host)
+        return 1;

id: token-any
file: src/serve/http.c
tests: serve/token_required
what: any token is accepted
-    return d == 0;
+    return d == 0 || 1;

id: workplaces-risk-address
file: layers/10-workplaces_risk.sql
tests: guards/workplaces_risk*
what: the workplaces_risk map layer shows addresses
-       w.name_local AS name_local, w.sector AS sector,
+       w.name_local AS name_local, w.address AS address, w.sector AS sector,

id: abort-publishes-partial
file: src/core/outfile.c
tests: guards/interrupted*
what: an interrupted write is renamed over the old file instead of removed
-    unlink(of->temp);
-    outfile_free(of);
-}
+    rename(of->temp, of->path);
+    outfile_free(of);
+}

id: json-quote-unescaped
file: src/core/json.c
tests: export/typed_properties_and_escapes guards/hostile*
what: the JSON escaper leaves '"' unescaped
-    case '"': return "\\\"";
+    case '"': return NULL;

id: csv-formula-unguarded
file: src/io/export.c
tests: export_cli export
what: CSV cells starting with = + - @ written as they are (CSV injection)
-    return end == text || *end != '\0';
+    return 0 && (end == text || *end != '\0');
LIST

# ------------------------------------------------------------------------
# apply FILE ID / restore FILE: the list's text substitution, by python.
apply_py='
import sys
list_path, root, want = sys.argv[1], sys.argv[2], sys.argv[3]
blocks = open(list_path).read().split("\n\n")
for b in blocks:
    m = {"old": [], "new": []}
    for line in b.strip("\n").split("\n"):
        if line.startswith("-"): m["old"].append(line[1:])
        elif line.startswith("+"): m["new"].append(line[1:])
        elif ": " in line:
            k, v = line.split(": ", 1); m[k] = v
    if m.get("id") != want:
        continue
    path = root + "/" + m["file"]
    text = open(path).read()
    old = "\n".join(m["old"]) + "\n"
    new = "\n".join(m["new"]) + "\n"
    n = text.count(old)
    if n != 1:
        print("%s: the text to mutate occurs %d times in %s" % (want, n, m["file"]))
        sys.exit(3)
    open(path, "w").write(text.replace(old, new))
    sys.exit(0)
print("no mutation " + want)
sys.exit(4)
'
field() { # field ID NAME
  awk -v id="$1" -v k="$2" 'BEGIN{RS=""; FS="\n"} {
    hit = 0; for (i = 1; i <= NF; i++) if ($i == "id: " id) hit = 1
    if (hit) for (i = 1; i <= NF; i++) if (index($i, k ": ") == 1) print substr($i, length(k) + 3)
  }' "$work/list.txt"
}
ids=$(sed -n 's/^id: //p' "$work/list.txt")
if [ -n "$only" ]; then ids=$only; fi

# ------------------------------------------------------------------------
# The copy: the tracked files as they are in the working tree (uncommitted
# edits included), and the npm folders' links.
# A copy already built (MUTATE_DIR of an earlier run, --keep) is updated in
# place: tar keeps each file's time, so only what changed is rebuilt.
echo "mutate: copying the tree to $tree"
mkdir -p "$tree"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$tree"
for l in web/vendor-src tests/node; do
  [ -e "$l" ] && [ ! -e "$tree/$l" ] && cp -P "$l" "$tree/$l"
done
echo "mutate: building the copy"
if [ ! -f "$tree/build/build.ninja" ]; then
  meson setup "$tree/build" "$tree" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
fi
ninja -C "$tree/build" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }

export SINSPACE_SOURCE_ROOT="$tree" SINSPACE_BUILD_ROOT="$tree/build" \
       SINSPACE_BIN="$tree/build/src/cli/sinspace"
# run_tests SPEC...: 0 when every test passes; the log in $work/test.log.
run_tests() {
  : >"$work/test.log"
  if [ $full = 1 ]; then
    meson test -C "$tree/build" --no-rebuild --num-processes 2 >>"$work/test.log" 2>&1
    return
  fi
  names=
  rc=0
  for spec in "$@"; do
    case $spec in
      */*)
        suite=${spec%%/*}
        "$tree/build/tests/test_$suite" --jobs 1 --filter "$spec" >>"$work/test.log" 2>&1 || rc=1
        ;;
      *) names="$names $spec" ;;
    esac
  done
  if [ -n "$names" ]; then
    # shellcheck disable=SC2086
    meson test -C "$tree/build" --no-rebuild --num-processes 2 $names >>"$work/test.log" 2>&1 || rc=1
  fi
  return $rc
}
# The ninja targets the specs need: the command, and each Criterion suite.
targets_for() {
  t=src/cli/sinspace
  for spec in "$@"; do
    case $spec in
      */*) t="$t tests/test_${spec%%/*}" ;;
      cli|crash|gen|export|query|render|tiles|style|zones|csv|parse|risk|store|import|serve|guards)
        t="$t tests/test_$spec" ;;
    esac
  done
  echo "$t"
}

# The baseline: every test the list names passes unmutated.
all_specs=
for id in $ids; do all_specs="$all_specs $(field "$id" tests)"; done
all_specs=$(printf '%s\n' $all_specs | sort -u | tr '\n' ' ')
echo "mutate: baseline: $all_specs"
if ! run_tests $all_specs; then
  echo "mutate: the unmutated tree fails its tests; see $work/test.log" >&2
  tail -40 "$work/test.log" >&2
  keep=1
  exit 1
fi

results=$work/results.txt
printf '%-30s %-32s %-44s %s\n' id file tests result >"$results"
status=0
killed=0
total=0
for id in $ids; do
  file=$(field "$id" file)
  specs=$(field "$id" tests)
  total=$((total + 1))
  cp "$tree/$file" "$work/orig"
  if ! out=$(python3 -c "$apply_py" "$work/list.txt" "$tree" "$id" 2>&1); then
    result="NOT-APPLIED ($out)"
    status=1
  else
    # shellcheck disable=SC2046
    if ! ninja -C "$tree/build" $(targets_for $specs) >"$work/build-$id.log" 2>&1; then
      result="BUILD-FAILED (see $work/build-$id.log)"
      keep=1
      status=1
    elif run_tests $specs; then
      result=SURVIVED
      cp "$work/test.log" "$work/survived-$id.log"
      keep=1
      status=1
    else
      result=KILLED
      killed=$((killed + 1))
    fi
  fi
  cp "$work/orig" "$tree/$file"
  touch "$tree/$file"
  printf '%-30s %-32s %-44s %s\n' "$id" "$file" "$specs" "$result" | tee -a "$results"
done
# The copy rebuilt unmutated, for a next run with MUTATE_DIR.
ninja -C "$tree/build" >/dev/null 2>&1 || true
echo "mutate: $killed of $total mutations killed (results: $results)"
[ $keep = 1 ] && echo "mutate: the copy is kept in $work"
exit $status
