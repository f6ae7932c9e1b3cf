# lib.sh: what the serve tests share: a temporary folder, the test database
# and a server on a free loopback port that is always stopped.
# Sourced by tests/web/*.sh; sets work, db, base, server_pid.

# skip WHAT: what the test needs is missing.  A skip (exit 77) for a
# developer; under CI=true (.ci/run) a failure naming what is missing, so a
# green CI never hides a test that did not run.
skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $* (CI=true: required; see scripts/deps-debian.sh and scripts/deps-npm.sh)"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SINSPACE_BIN:-$top/build/src/cli/sinspace}
work=$(mktemp -d "${TMPDIR:-/tmp}/sinspace-web.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# make_db: the sample database with its imagery (tests/web/make-db.sh).
make_db() {
  db=$work/sample.sqlite
  SINSPACE=$bin "$top/tests/web/make-db.sh" "$db" 2>"$work/make-db.log" ||
    { cat "$work/make-db.log" >&2; exit 1; }
}

# start_server [ARGS...]: serve $db on port 0 (a free port the kernel
# picks) and wait for the printed address; sets base.
start_server() {
  "$bin" serve "$db" --port 0 "$@" >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  i=0
  while ! grep -q '^sinspace serve: http' "$work/serve.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server did not start:" >&2
      cat "$work/serve.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  base=$(sed -n 's/^sinspace serve: \(http:[^?]*\).*/\1/p' "$work/serve.out")
  base=${base%/}
}

# stop_server: SIGTERM, and the server must exit 0.
stop_server() {
  kill "$server_pid"
  rc=0
  wait "$server_pid" || rc=$?
  server_pid=
  if [ $rc -ne 0 ]; then
    echo "the server exited $rc:" >&2
    cat "$work/serve.err" >&2
    exit 1
  fi
}
