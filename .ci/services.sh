#!/usr/bin/env bash
# The services the scale-out tests need: a throwaway PostgreSQL cluster and a Redis server, both
# on 127.0.0.1 only, with their data in one temp folder (nothing persisted, nothing system-wide).
#
#   .ci/services.sh install   apt-get install postgresql redis-server when missing (root or sudo)
#   .ci/services.sh start     start both (idempotent) and print the URLs the tests read
#   .ci/services.sh env       print `export METARRD_TEST_DATABASE_URL=… METARRD_TEST_QUEUE_URL=…`
#   .ci/services.sh stop      stop both and remove their folder (idempotent)
#
# The folder is $METARRD_SERVICES_DIR (default /tmp/metarrd-test-services); ports are the first
# free ones from $METARRD_PG_PORT (55432) and $METARRD_REDIS_PORT (56379). The distribution's own
# postgresql and redis-server services are never started or touched.
set -euo pipefail

DIR="${METARRD_SERVICES_DIR:-/tmp/metarrd-test-services}"
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi

pg_bin() {
    local v
    v="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
    [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

install() {
    if [ -n "$(pg_bin)" ] && command -v redis-server >/dev/null 2>&1; then
        echo "services: postgresql and redis-server already installed"
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    # policy-rc.d keeps apt from starting the system-wide services (we run our own on loopback)
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod +x "$policy"
        made_policy=1
    fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends postgresql redis-server
    [ -n "$made_policy" ] && $SUDO rm -f "$policy"
    [ -n "$(pg_bin)" ] && command -v redis-server >/dev/null
}

free_port() {  # the first free port on 127.0.0.1 from $1 on
    python3 - "$1" <<'EOF'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            break
        except OSError:
            port += 1
print(port)
EOF
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local bin
    bin="$(pg_bin)"
    [ -n "$bin" ] || { echo "services: postgresql is not installed (run: $0 install)" >&2; exit 1; }
    mkdir -p "$DIR"
    chmod 0755 "$DIR"
    # PostgreSQL: one cluster, trust authentication on loopback (a test cluster, nothing in it)
    if [ -f "$DIR/pg.port" ] && as_postgres "$bin/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
        echo "services: postgresql already running on port $(cat "$DIR/pg.port")"
    else
        local port
        port="$(free_port "${METARRD_PG_PORT:-55432}")"
        if [ ! -f "$DIR/pg/PG_VERSION" ]; then
            mkdir -p "$DIR/pg" "$DIR/pgrun"
            if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR/pg" "$DIR/pgrun"; fi
            as_postgres "$bin/initdb" -D "$DIR/pg" -U postgres -A trust -E UTF8 \
                --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
        fi
        as_postgres "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pgrun/pg.log" -w -t 60 start -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $DIR/pgrun -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
        echo "$port" >"$DIR/pg.port"
        echo "services: postgresql started on 127.0.0.1:$port"
    fi
    # Redis: no persistence, loopback only
    if [ -f "$DIR/redis.port" ] && redis-cli -p "$(cat "$DIR/redis.port")" ping >/dev/null 2>&1; then
        echo "services: redis already running on port $(cat "$DIR/redis.port")"
    else
        command -v redis-server >/dev/null || { echo "services: redis-server missing" >&2; exit 1; }
        local rport
        rport="$(free_port "${METARRD_REDIS_PORT:-56379}")"
        redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" \
            --databases 64
        for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
        echo "$rport" >"$DIR/redis.port"
        echo "services: redis started on 127.0.0.1:$rport"
    fi
    env
}

env() {
    [ -f "$DIR/pg.port" ] && [ -f "$DIR/redis.port" ] || { echo "services: not started" >&2; exit 1; }
    echo "export METARRD_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$(cat "$DIR/pg.port")/metarrd_test"
    echo "export METARRD_TEST_QUEUE_URL=redis://127.0.0.1:$(cat "$DIR/redis.port")/0"
}

stop() {
    local bin
    bin="$(pg_bin || true)"
    if [ -n "$bin" ] && [ -f "$DIR/pg/PG_VERSION" ]; then
        as_postgres "$bin/pg_ctl" -D "$DIR/pg" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$DIR/redis.port" ]; then
        redis-cli -p "$(cat "$DIR/redis.port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    echo "services: stopped"
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    env) env ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|env|stop" >&2; exit 2 ;;
esac
