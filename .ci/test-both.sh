#!/usr/bin/env bash
# `make test`'s two pytest passes, side by side: the whole suite on the SQLite default in the
# foreground, and the PostgreSQL + Redis pass (`make test-scale`) beside it, its output kept
# in a file and printed once the first is over. Neither pass uses 2 cores on its own (the
# SQLite pass spends most of its time waiting: fsync, subprocesses, Chromium, a real Kodi), so
# side by side they end in about the time of the longer one. Exit status: 0 when both passed.
#
#   .ci/test-both.sh <bin dir>    (the Makefile passes $(BIN); the services are started first)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.venv/bin}"

log="$(mktemp "${TMPDIR:-/tmp}/metarrd-test-scale.XXXXXX")"
scale=""
shown=""
cleanup() {
    if [ -n "$scale" ]; then  # interrupted: pass 2 ended (its process group: make, its pytest)
        kill -- "-$scale" 2>/dev/null
        wait "$scale" 2>/dev/null
    fi
    if [ -z "$shown" ] && [ -s "$log" ]; then  # what pass 2 said so far (a failure, perhaps)
        echo
        echo "== pass 2: PostgreSQL + Redis (make test-scale), interrupted; its output so far =="
        cat "$log"
    fi
    rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT  # 128 + the signal's number, as a shell says it
trap 'exit 143' TERM

started=$SECONDS
set -m  # pass 2 in a process group of its own, which cleanup() can end whole
make --no-print-directory test-scale BIN="$BIN" </dev/null >"$log" 2>&1 &
scale=$!
set +m

echo "== pass 1: the whole suite on SQLite (pass 2, PostgreSQL + Redis, runs beside it) =="
"$BIN/pytest" -q
sqlite_rc=$?
sqlite_time=$((SECONDS - started))

wait "$scale"
scale_rc=$?
scale=""
echo
echo "== pass 2: PostgreSQL + Redis (make test-scale) =="
cat "$log"
shown=1
echo
echo "SQLite pass: exit $sqlite_rc after ${sqlite_time} s; PostgreSQL + Redis pass: exit $scale_rc; both over after $((SECONDS - started)) s"
[ "$sqlite_rc" -eq 0 ] && [ "$scale_rc" -eq 0 ]
