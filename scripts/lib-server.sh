# Sourced by the scripts that test a running `radiculo serve` (schemathesis.sh,
# browser-tests.sh): a server of their own on a free loopback port, with a temporary SQLite
# database, no rate limit and warn-level logs, stopped on exit.
#
# Before sourcing: `bin` (the binary) and `die` (report and exit). After `start_server`:
# `tmp` (a temporary directory, removed on exit), `database_url`, `abs_bin`, `port`,
# `server_pid`, and the server's log in "$tmp/server.log". `stop_server` stops it with
# SIGTERM and fails unless it exits cleanly.

tmp=$(mktemp -d "/tmp/radiculo-$(basename "$0" .sh).XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

database_url="sqlite://$tmp/radiculo.db"
abs_bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

healthy() {
  python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

start_server() {
  # A port chosen free may be taken before the server binds it: try a few.
  port=
  local attempt candidate
  for attempt in 1 2 3 4 5; do
    candidate=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    RADICULO_LOG=warn "$abs_bin" serve --listen "127.0.0.1:$candidate" --database-url "$database_url" \
      --rate-limit-per-minute 0 >"$tmp/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 200); do # 200 × 0.1 s: up to 20 s
      if healthy "$candidate"; then port=$candidate; break; fi
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$port" ] && break
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    echo "the server did not start on port $candidate (attempt $attempt):" >&2
    cat "$tmp/server.log" >&2
  done
  [ -n "$port" ] || die "radiculo serve did not become healthy"
  echo "radiculo serve at http://127.0.0.1:$port (pid $server_pid), database $database_url"
}

stop_server() {
  local server_status=0
  kill -TERM "$server_pid"
  wait "$server_pid" || server_status=$?
  server_pid=
  [ "$server_status" = 0 ] || { cat "$tmp/server.log" >&2; die "the server exited with $server_status after SIGTERM"; }
}
