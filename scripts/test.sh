#!/usr/bin/env bash
# `npm test`: type-check, then unit + integration tests in ONE node --test run (one summary).
# `scripts/test.sh unit` or `scripts/test.sh integration` runs one part only. Other arguments
# go to node --test, e.g. `npm test -- --test-name-pattern=smoke`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

suites=(unit integration)
case "${1-}" in
  unit|integration) suites=("$1"); shift ;;
esac

bash scripts/ensure-debian-packages.sh
# also when package-lock.json changed since the last install (npm writes node_modules/.package-lock.json)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund </dev/null
fi

# Per-run temp dir: test servers put their dirs here (os.tmpdir() follows TMPDIR) and
# register pid files, so whatever a crashed test process left behind is removed below.
# (Daemons also get SIGKILL from the kernel when their test process dies: setpriv --pdeathsig.)
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/roomgate-run.XXXXXX")
export TMPDIR="$run_dir" ROOMGATE_TEST_PIDDIR="$run_dir/pids"
mkdir -p "$ROOMGATE_TEST_PIDDIR"
cleanup() {
  local f pid name
  for f in "$ROOMGATE_TEST_PIDDIR"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f") name=$(basename "$f"); name=${name%%-*}
    # Only kill it if that pid still is the daemon we started (pids get reused).
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"; then
      echo "test.sh: killing stray $name (pid $pid)" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$run_dir"
}
trap cleanup EXIT

npx --no-install tsc --noEmit

# Node 20 does not expand globs itself: let bash do it.
shopt -s globstar nullglob
files=()
for suite in "${suites[@]}"; do files+=(test/"$suite"/**/*.test.ts); done
if [ ${#files[@]} -eq 0 ]; then
  echo "test.sh: no test files under test/{${suites[*]}}" >&2
  exit 1
fi

# --test-force-exit: a leaked handle (an unclosed client) must not hang CI forever; with it, a
# test child's buffered report could be lost at its exit, hence blocking-stdout.ts in every child.
node --import tsx --import ./test/support/blocking-stdout.ts --test --test-concurrency=1 --test-reporter=spec --test-force-exit \
  "$@" "${files[@]}"
