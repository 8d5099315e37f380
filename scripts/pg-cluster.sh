#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints its URL; `stop DIR` stops it
# and removes it; `missing` is what to do when `start` failed. Used by scripts/test.sh:
#   eval "$(scripts/pg-cluster.sh start)"   # sets PG_CLUSTER_DIR and RADICULO_TEST_DATABASE_URL
#     (fsync off, for speed, as tests need no durability; PG_CLUSTER_FSYNC=on for load tests)
#   scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR"
#   scripts/pg-cluster.sh missing           # fails under CI; a loud skip in a local run
#   scripts/pg-cluster.sh pause DIR         # stops the server, keeping its data (an outage)
#   scripts/pg-cluster.sh resume DIR        # starts it again on the same port
# Where the PostgreSQL binaries are missing and we run as root, installs Debian's postgresql
# first. Trust authentication on 127.0.0.1 only; the data lives in a temp dir.
set -euo pipefail

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

as_owner() {
  # initdb refuses to run as root: run as the postgres user when we are root.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-}" in
  start)
    if ! bin=$(find_bin); then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing postgresql (binaries missing)" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(find_bin)
      else
        echo "PostgreSQL binaries are missing and cannot be installed here (not root, or no apt-get)" >&2
        exit 1
      fi
    fi
    dir=$(mktemp -d /tmp/radiculo-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync >/dev/null" >&2
    # The server's options are kept beside the data, for `resume`.
    echo "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${PG_CLUSTER_FSYNC:-off}" >"$dir/options"
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -o \"$(cat "$dir/options")\" -w start >/dev/null" >&2
    echo "export PG_CLUSTER_DIR='$dir' PG_CLUSTER_BIN='$bin'"
    echo "export RADICULO_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
    ;;
  stop)
    dir=${2:?usage: pg-cluster.sh stop DIR}
    bin=$(find_bin)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null" >&2 || true
    rm -rf "$dir"
    ;;
  pause)
    dir=${2:?usage: pg-cluster.sh pause DIR}
    bin=$(find_bin)
    # Fast shutdown: open connections are cut, as when a database server goes down.
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null" >&2
    ;;
  resume)
    dir=${2:?usage: pg-cluster.sh resume DIR}
    bin=$(find_bin)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -o \"$(cat "$dir/options")\" -w start >/dev/null" >&2
    ;;
  missing)
    # The shell's half of the rule that tests/support/postgres.rs keeps for the Rust tests: with
    # no PostgreSQL, CI (CI set, and not to "", 0 or false) fails, so that a broken PostgreSQL
    # path cannot pass as skipped; a developer's local run goes on without it, saying so.
    if [ -n "${RADICULO_TEST_DATABASE_URL:-}" ]; then
      echo "no throwaway PostgreSQL: the tests use RADICULO_TEST_DATABASE_URL as set" >&2
      exit 0
    fi
    ci=$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')
    if [ -n "$ci" ] && [ "$ci" != 0 ] && [ "$ci" != false ]; then
      echo "error: no PostgreSQL could be started (see above), and CI is set: the PostgreSQL" >&2
      echo "storage, server and service tests must run in CI, so the test command fails here." >&2
      exit 1
    fi
    cat >&2 <<'BANNER'
!!! WARNING (a local run only; under CI this fails): no PostgreSQL could be started (see above).
!!! NOT RUN: the PostgreSQL variants of the radiculo-store tests, radiculo-server's PostgreSQL
!!! end-to-end test and radiculo's PostgreSQL service tests (each says so as it skips).
!!! To run them: install PostgreSQL (apt-get install postgresql, as root) and run scripts/test.sh
!!! again, or set RADICULO_TEST_DATABASE_URL to a PostgreSQL database of your own.
BANNER
    ;;
  *)
    echo "usage: pg-cluster.sh start | stop DIR | pause DIR | resume DIR | missing" >&2
    exit 2
    ;;
esac
