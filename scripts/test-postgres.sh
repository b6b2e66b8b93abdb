#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks of the shared translation memory.
#
#   eval "$(scripts/test-postgres.sh start)"    # prints export lines: PIPELINE_TEST_POSTGRES_URL, _DIR
#   python3 -m pytest tests/test_memory.py
#   scripts/test-postgres.sh stop "$PIPELINE_TEST_POSTGRES_DIR"
#
# The cluster lives in a fresh directory under /tmp, listens on 127.0.0.1 only, on a free port, with a random
# password (scram-sha-256), and runs as the `postgres` user when started by root (initdb refuses root).
# Debian's `postgresql` package is installed first when it is missing and we are root.
# PIPELINE_TEST_POSTGRES_BUFFERS sets shared_buffers (default 128MB; the 1M-unit benchmark figures used 1GB).
set -euo pipefail

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then found=$(dirname "$(command -v pg_ctl)"); fi
    echo "$found"
}

as_owner() {  # run a command as the cluster's owner
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local bin dir port password
    bin=$(bin_dir)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing Debian's postgresql ..." >&2
            (apt-get install -y -qq postgresql >/dev/null 2>&1 \
                || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; })
            bin=$(bin_dir)
        fi
        if [ -z "$bin" ]; then
            echo "PostgreSQL is not installed: apt-get install postgresql (Debian/Ubuntu), then run this again" >&2
            exit 1
        fi
    fi
    dir=$(mktemp -d /tmp/pipeline-postgres.XXXXXX)
    chmod 755 "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    printf '%s\n' "$password" > "$dir/pwfile"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=60 \
            -c shared_buffers=${PIPELINE_TEST_POSTGRES_BUFFERS:-128MB}" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export PIPELINE_TEST_POSTGRES_URL=postgresql://postgres:$password@127.0.0.1:$port/postgres"
    echo "export PIPELINE_TEST_POSTGRES_DIR=$dir"
    echo "PostgreSQL running on 127.0.0.1:$port (data in $dir); stop it with: $0 stop $dir" >&2
}

stop() {
    local dir=${1:-${PIPELINE_TEST_POSTGRES_DIR:-}}
    case "$dir" in
        /tmp/pipeline-postgres.*) ;;
        *) echo "usage: $0 stop /tmp/pipeline-postgres.XXXXXX" >&2; exit 2 ;;
    esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
