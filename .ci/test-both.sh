#!/usr/bin/env bash
# `make test`'s two pytest passes, side by side: the whole suite on the SQLite default in the
# foreground, and the PostgreSQL + Redis pass (`make test-scale`) beside it, its output kept
# in a file and printed once the first is over. Neither pass uses 2 cores on its own (the
# SQLite pass spends most of its time waiting: fsync, subprocesses, Chromium, a real Kodi), so
# side by side they end in about the time of the longer one. Exit status: 0 when both passed.
#
# Both passes keep their temp files (pytest's tmp_path, every tempfile: the tests' libraries,
# data folders and SQLite databases) on a tmpfs, /dev/shm ($METARRD_TEST_TMPFS), in a folder of
# their own removed at the end; as on Debian 13, Arch or Fedora, whose /tmp is one. On this
# machine's /tmp (a virtual disk) each fsync of the atomic writes and SQLite's commits waited
# for the disk, behind the other pass's and PostgreSQL's: a third to a half of the tests' time
# (tests/publish, tests/tv, tests/daemon, measured side by side). Without a writable tmpfs they
# stay in $TMPDIR, as they do when it has under 4 GiB free.
#
#   .ci/test-both.sh <bin dir>    (the Makefile passes $(BIN); the services are started first)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.venv/bin}"

log="$(mktemp "${TMPDIR:-/tmp}/metarrd-test-scale.XXXXXX")"
scale=""
shown=""
tmpfs="${METARRD_TEST_TMPFS:-/dev/shm}"
# the room the suite may need there (a container's /dev/shm is often 64 MB): less, and the temp
# files stay in $TMPDIR (pytest removes a passed test's tmp_path at once: pyproject.toml)
need_kb="${METARRD_TEST_TMPFS_NEED_KB:-4194304}"
files=""
if [ -d "$tmpfs" ] && [ -w "$tmpfs" ]; then
    free_kb="$(df -Pk "$tmpfs" 2>/dev/null | awk 'NR == 2 { print $4 }')"
    if [ -n "$free_kb" ] && [ "$free_kb" -ge "$need_kb" ] 2>/dev/null; then
        files="$(mktemp -d "$tmpfs/metarrd-test.XXXXXX")" || files=""
    else
        echo "(temp files in ${TMPDIR:-/tmp}: $tmpfs has ${free_kb:-no} KB free, under $need_kb)"
    fi
fi
cleanup() {
    status=$?
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
    if [ -n "$files" ] && [ -d "$files" ]; then
        if [ "$status" -eq 1 ]; then  # a test failed: its tmp_path is kept (pyproject.toml)
            echo "the failed tests' temp files are kept in $files (rm -r it once read)"
        else
            rm -rf -- "$files"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT  # 128 + the signal's number, as a shell says it
trap 'exit 143' TERM

if [ -n "$files" ]; then
    export TMPDIR="$files"
fi

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
