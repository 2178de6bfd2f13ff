#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL 15 server for the tests, the replica test and the
# benchmarks: its own cluster in /tmp/dataspace-postgres-PORT (or $DATASPACE_PG_DIR; under /tmp
# because the server runs as the postgres user, who may not reach the checkout), listening on
# 127.0.0.1:$DATASPACE_PG_PORT (default 55432; 55433 for start-for-tests), trust authentication on loopback only.
# Prints the server's URL on its last line: postgres://dataspace@127.0.0.1:PORT/postgres
#   usage: Scripts/postgres.sh [start|start-for-tests|stop]
# Debian's postgresql-15 package provides the binaries (.ci/run installs it). `start` runs the
# server with PostgreSQL's defaults for durability (fsync on, synchronous_commit on): the
# benchmarks measure what an operator would run. `start-for-tests` turns fsync off: the tests
# check what the node writes and when, never whether the disk kept it through a power cut, and
# dozens of them create and migrate databases at once (on a slow CI disk each fsync costs them
# seconds). A server already running on the port is reused as it is.
set -euo pipefail
action="${1:-start}"
# The tests' server listens on a port of its own, so a benchmark never measures it.
if [ "$action" = start-for-tests ]; then default_port=55433; else default_port=55432; fi
port="${DATASPACE_PG_PORT:-$default_port}"
dir="${DATASPACE_PG_DIR:-${TMPDIR:-/tmp}/dataspace-postgres-$port}"
bin="${DATASPACE_PG_BIN:-/usr/lib/postgresql/15/bin}"

if [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL 15 is not installed ($bin/pg_ctl is missing): apt-get install postgresql-15" >&2
  exit 3
fi

# initdb and the server refuse to run as root; run them as the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

durability=""
case "$action" in
  start) ;;
  start-for-tests) durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
  stop) ;;
  *) echo "usage: Scripts/postgres.sh [start|start-for-tests|stop]" >&2; exit 2 ;;
esac

if [ "$action" = stop ]; then
  [ -f "$dir/data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
  exit 0
fi

# Whoever runs this script may hold open sockets (a test process's HTTP connections); the server
# would inherit them and keep them open for its whole life, so a peer never sees them close.
for fd in /proc/$$/fd/*; do
  fd="${fd##*/}"
  if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$dir/data" -U dataspace -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB $durability" start >&2 \
    || { tail -n 30 "$dir/server.log" >&2; exit 1; }
fi
echo "postgres://dataspace@127.0.0.1:$port/postgres"
