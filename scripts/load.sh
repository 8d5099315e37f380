#!/usr/bin/env bash
# Load test of `radiculo serve` on loopback (127.0.0.1 only), in one run against one server:
#   (a) GET  /healthz          at full throughput           (wrk, closed loop)
#   (b) POST /v1/assess        at full throughput           (wrk + Lua body: the contract example)
#   (c) POST /v1/assess        at a fixed RATE (open loop)  (a small C generator built here)
#   (d) POST /v1/assessments   at full throughput, stored in SQLite with a Bearer key; rows
#                              stored per second are counted in the database itself
# then the server's peak resident memory (VmHWM in /proc/PID/status) and a markdown table.
#
# Usage: scripts/load.sh            (as root it installs wrk with apt-get when it is missing)
# Knobs (environment): PORT=18080 DURATION=15 CONNS=32 RATE=5000 PIN=1 WARMUP=3 KEEP=0
#   PHASES=abcd (a subset, such as PHASES=d, runs only those phases and prints their rows)
#   DATABASE=sqlite (default) or postgres: where (d) stores; postgres starts a throwaway
#   cluster (scripts/pg-cluster.sh, with fsync on, as a real server has it) on loopback
#   BIN=target/release/radiculo (another binary, say an older build to compare with; a BIN
#   given is used as it is, without `cargo build`)
#
# PIN=1 (the default, on 2+ cores) runs the server on CPU 0 and every load generator on CPU 1
# with taskset, so the generator never steals the server's core and the numbers are for a
# one-core server (tokio then starts one worker). PIN=0 lets the scheduler place both.
#
# The open-loop generator (c) sends request i at start + i/RATE whether or not earlier
# answers have arrived and measures each latency from that due time, so queueing caused by a
# slow server is counted (no coordinated omission), as wrk2 does; wrk2 is not in Debian.
# Each phase also reports the CPU used by the server, by the generator and by other processes,
# and the CPU time the hypervisor took (steal); the table is flagged when others used more than
# 10% of a CPU (a shared machine) or the hypervisor more than 2% (a busy host). The server
# inherits the environment, so RADICULO_LOG=warn measures it without per-request log lines.
# Every generator is bounded in time (its own limit plus `timeout`); the server is stopped
# by PID on exit, whatever happens.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-18080}
DURATION=${DURATION:-15}
CONNS=${CONNS:-32}
RATE=${RATE:-5000}
PIN=${PIN:-1}
WARMUP=${WARMUP:-3}
KEEP=${KEEP:-0}
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
BODY="$ROOT/examples/contract-example.json"
PHASES=${PHASES:-abcd}
BUILD=1
if [ -n "${BIN:-}" ]; then BUILD=0; else BIN="$ROOT/target/release/radiculo"; fi
[[ "$PHASES" =~ ^[abcd]+$ ]] || { printf '[load] error: PHASES takes letters from abcd\n' >&2; exit 1; }
LIMIT=$((DURATION + 30)) # hard wall-clock bound for any one generator run

log() { printf '[load] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools ---------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "wrk is missing; install it (apt-get install wrk) or run as root"
    log "installing wrk with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
fi
for tool in wrk gcc curl taskset; do command -v "$tool" >/dev/null || die "$tool is missing"; done

if [ "$BUILD" = 1 ]; then
    log "building (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet)
fi
[ -x "$BIN" ] || die "no executable at $BIN"

WORK=$(mktemp -d /tmp/radiculo-load.XXXXXX)
DATABASE=${DATABASE:-sqlite}
DB="$WORK/r.db"
PG_DIR=
case "$DATABASE" in
    sqlite) DB_URL="sqlite://$DB" ;;
    postgres)
        eval "$(PG_CLUSTER_FSYNC=on "$ROOT/scripts/pg-cluster.sh" start)" || die "could not start PostgreSQL"
        PG_DIR=$PG_CLUSTER_DIR
        DB_URL=$RADICULO_TEST_DATABASE_URL
        ;;
    *) die "DATABASE is sqlite or postgres" ;;
esac
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$PG_DIR" ]; then "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR"; fi
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- pinning -------------------------------------------------------------------------------
NCPU=$(nproc)
if [ "$PIN" = 1 ] && [ "$NCPU" -ge 2 ]; then
    SRV=(taskset -c 0)
    GEN=(taskset -c 1)
    PINNING="server on CPU 0, load generator on CPU 1 (taskset)"
else
    SRV=()
    GEN=()
    PINNING="not pinned ($NCPU CPUs shared by server and generator)"
fi

# --- the open-loop generator ---------------------------------------------------------------
cat >"$WORK/openloop.c" <<'EOF'
/* Open-loop HTTP/1.1 POST generator for 127.0.0.1 only. Request i is due at t0 + i/RATE; it
 * goes out on an idle keep-alive connection, or waits in a FIFO until one is free. Latency is
 * measured from the due time. Runs for SECONDS, then at most 2 s more for the last answers. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 512
typedef struct {
    int fd, busy, hdr_done, wr_off, status, hlen;
    int64_t due;
    long body_left;
    char hdr[8192];
} conn_t;

static conn_t C[MAXCONN];
static int nconn, epfd, port, reqlen;
static char *req;
static int64_t *lat, *fifo;
static long nlat, cap, sent, ok, bad, io_err, head, tail;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void open_conn(int i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1, fixed */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) { perror("connect"); exit(1); }
    memset(&C[i], 0, sizeof C[i]);
    C[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void try_write(conn_t *c) {
    while (c->busy && c->wr_off < reqlen) {
        ssize_t n = write(c->fd, req + c->wr_off, reqlen - c->wr_off);
        if (n <= 0) return; /* EAGAIN: EPOLLOUT resumes; errors surface as EPOLLERR/EOF */
        c->wr_off += n;
    }
}

static void start(int i, int64_t due) {
    conn_t *c = &C[i];
    c->busy = 1; c->due = due; c->wr_off = 0; c->hdr_done = 0; c->hlen = 0; c->body_left = 0; c->status = 0;
    sent++;
    try_write(c);
}

static void record(int64_t v) {
    if (nlat == cap) { cap = cap ? cap * 2 : 65536; lat = realloc(lat, cap * sizeof *lat); }
    lat[nlat++] = v;
}

static void next_from_fifo(int i) { if (head < tail) start(i, fifo[head++]); }

static void finish(int i) {
    conn_t *c = &C[i];
    record(now_ns() - c->due);
    if (c->status >= 200 && c->status < 300) ok++; else bad++;
    c->busy = 0;
    next_from_fifo(i);
}

static void reset(int i) { /* closed or failed: the request in flight counts as bad */
    conn_t *c = &C[i];
    int was_busy = c->busy;
    int64_t due = c->due;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    io_err++;
    open_conn(i);
    if (was_busy) { record(now_ns() - due); bad++; }
    next_from_fifo(i);
}

static void on_read(int i) {
    conn_t *c = &C[i];
    static char buf[1 << 16];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf), off = 0;
        if (n == 0 || (n < 0 && errno != EAGAIN)) { reset(i); return; }
        if (n < 0) return;
        if (!c->busy) continue;
        if (!c->hdr_done) {
            int prev = c->hlen, take = (int)n;
            if (prev + take > (int)sizeof c->hdr - 1) take = (int)sizeof c->hdr - 1 - prev;
            memcpy(c->hdr + prev, buf, take);
            c->hlen += take;
            c->hdr[c->hlen] = 0;
            char *end = strstr(c->hdr, "\r\n\r\n");
            if (!end) continue;
            off = (end - c->hdr) + 4 - prev; /* header bytes in this chunk */
            c->hdr_done = 1;
            c->status = atoi(c->hdr + 9);
            char *p = strcasestr(c->hdr, "\r\ncontent-length:");
            c->body_left = (p && p < end) ? atol(p + 17) : 0;
        }
        c->body_left -= n - off;
        if (c->body_left <= 0) finish(i);
    }
}

static int cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}
static double pct(double p) {
    if (!nlat) return 0;
    long k = (long)(p / 100.0 * nlat);
    return lat[k >= nlat ? nlat - 1 : k] / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: openloop PORT PATH BODYFILE RATE SECONDS CONNS\n"); return 2; }
    port = atoi(argv[1]);
    double rate = atof(argv[4]), secs = atof(argv[5]);
    nconn = atoi(argv[6]);
    if (nconn < 1 || nconn > MAXCONN || rate <= 0 || rate > 1e6 || secs <= 0 || secs > 600) { fprintf(stderr, "bad arguments\n"); return 2; }
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror(argv[3]); return 2; }
    static char body[65536];
    int blen = (int)fread(body, 1, sizeof body, f);
    fclose(f);
    req = malloc(blen + 1024);
    reqlen = snprintf(req, 1024, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", argv[2], port, blen);
    memcpy(req + reqlen, body, blen);
    reqlen += blen;
    long total = (long)(rate * secs), next = 0, max_queue = 0;
    fifo = malloc(total * sizeof *fifo);
    epfd = epoll_create1(0);
    for (int i = 0; i < nconn; i++) open_conn(i);
    int64_t interval_ps = (int64_t)(1e12 / rate); /* picoseconds, so that 1/RATE does not drift */
    int64_t t0 = now_ns() + 200000000LL;          /* 200 ms for the connections to open */
    int64_t deadline = t0 + (int64_t)(secs * 1e9) + 2000000000LL;
    struct epoll_event evs[256];
    for (;;) {
        int64_t now = now_ns();
        while (next < total && t0 + next * interval_ps / 1000 <= now) {
            int64_t due = t0 + next * interval_ps / 1000;
            next++;
            int idle = -1;
            for (int i = 0; i < nconn; i++) if (!C[i].busy) { idle = i; break; }
            if (idle >= 0) start(idle, due);
            else { fifo[tail++] = due; if (tail - head > max_queue) max_queue = tail - head; }
        }
        int inflight = 0;
        for (int i = 0; i < nconn; i++) inflight += C[i].busy;
        if ((next >= total && inflight == 0 && head == tail) || now > deadline) break;
        int64_t wait = next < total ? t0 + next * interval_ps / 1000 - now : 10000000LL;
        if (wait < 0) wait = 0;
        struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
        int n = epoll_pwait2(epfd, evs, 256, &ts, NULL);
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            if (evs[k].events & (EPOLLERR | EPOLLHUP)) { reset(i); continue; }
            if (evs[k].events & EPOLLOUT) try_write(&C[i]);
            if (evs[k].events & EPOLLIN) on_read(i);
        }
    }
    long unanswered = tail - head;
    for (int i = 0; i < nconn; i++) unanswered += C[i].busy;
    qsort(lat, nlat, sizeof *lat, cmp);
    printf("RESULT scheduled=%ld sent=%ld ok=%ld bad=%ld unanswered=%ld io_errors=%ld answered_rps=%.1f "
           "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f max_queue=%ld\n",
           total, sent, ok, bad, unanswered, io_err, (ok + bad) / secs,
           pct(50), pct(90), pct(99), pct(99.9), nlat ? lat[nlat - 1] / 1e6 : 0.0, max_queue);
    return 0;
}
EOF
gcc -O2 -Wall -o "$WORK/openloop" "$WORK/openloop.c" || die "could not build the open-loop generator"

# --- wrk scripts: method, body, headers, and one machine-readable line at the end -----------
wrk_done='
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sockerr=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout))
end'
printf '%s\n' "$wrk_done" >"$WORK/get.lua"
post_lua() { # $1: file, $2: extra header line (Lua) or empty
    {
        printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n%s\n' "$2"
        printf 'local f = assert(io.open("%s", "rb")); wrk.body = f:read("*a"); f:close()\n' "$BODY"
        printf '%s\n' "$wrk_done"
    } >"$1"
}
post_lua "$WORK/assess.lua" ""

# field NAME from a RESULT line
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n1; }
run_wrk() { # $1: lua script, $2: path, $3: seconds; prints the RESULT line
    local out
    out=$(timeout -k 5 "$LIMIT" "${GEN[@]}" wrk -t1 -c"$CONNS" -d"$3"s --timeout 10s -s "$1" "$BASE$2") ||
        die "wrk failed on $2"
    grep '^RESULT' <<<"$out" || die "no result from wrk on $2: $out"
}
hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status"; }
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$SERVER_PID/status"; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
count_rows() {
    if [ "$DATABASE" = postgres ]; then
        "$PG_CLUSTER_BIN/psql" -X -qtA "$DB_URL" -c 'SELECT count(*) FROM assessments;'
    elif command -v sqlite3 >/dev/null; then
        sqlite3 "file:$DB?mode=ro" 'SELECT count(*) FROM assessments;'
    else
        python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True).execute("SELECT count(*) FROM assessments").fetchone()[0])' "$DB"
    fi
}

# CPU used during a phase, in % of one CPU: by the server, by the load generator (this shell's
# waited-for children, read with the `times` builtin) and by everything else on the machine
# (user + nice + system of /proc/stat minus those two). Anything but ~0% for "others" means
# another process shared the machine and the phase's numbers are too low. "stolen" is the time
# the hypervisor ran something else while this virtual machine wanted its CPUs (steal in
# /proc/stat): the latency tail follows it, so a phase with more than 2% is flagged too.
TICK=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4; exit}' /proc/stat; }
steal_ticks() { awk '/^cpu /{print $9; exit}' /proc/stat; }
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
children_ticks() { # from a file holding the output of `times`
    awk -v t="$TICK" 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { f = $i; sub(/s$/, "", f); split(f, a, "m"); s += a[1] * 60 + a[2] } printf "%.0f", s * t }' "$1"
}
phase_start() {
    P_M=$(machine_ticks); P_X=$(steal_ticks); P_S=$(server_ticks); P_T=$(date +%s.%N); times >"$WORK/times0"
}
phase_end() { # sets CPU_LAST to "server S%, generator G%, stolen X%, others O%" (not in a subshell: `times`)
    local m x s t g
    times >"$WORK/times1"; m=$(machine_ticks); x=$(steal_ticks); s=$(server_ticks); t=$(date +%s.%N)
    g=$(( $(children_ticks "$WORK/times1") - $(children_ticks "$WORK/times0") ))
    CPU_LAST=$(awk -v dm=$((m - P_M)) -v dx=$((x - P_X)) -v ds=$((s - P_S)) -v dg="$g" -v dt="$(awk -v a="$P_T" -v b="$t" 'BEGIN{print b - a}')" -v tick="$TICK" \
        'BEGIN { k = 100 / tick / dt; o = (dm - ds - dg) * k; if (o < 0) o = 0;
                 printf "server %.0f%%, generator %.0f%%, stolen %.0f%%, others %.0f%%", ds * k, dg * k, dx * k, o }')
    local others=${CPU_LAST##* }; others=${others%\%}
    local stolen=${CPU_LAST#*stolen }; stolen=${stolen%%\%*}
    # With DATABASE=postgres the database's own processes are "others": expected, not noise.
    if [ "$others" -gt 10 ] && [ "$DATABASE" != postgres ]; then
        log "warning: other processes used ${others}% of a CPU during this phase"
        SHARED="${SHARED:+$SHARED, }$1"
    fi
    if [ "$stolen" -gt 2 ]; then
        log "warning: the hypervisor took ${stolen}% of a CPU during this phase"
        STOLEN="${STOLEN:+$STOLEN, }$1"
    fi
}

# --- the server ----------------------------------------------------------------------------
log "work directory $WORK; $PINNING"
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU already in use by other processes over 2 s: anything but ~0% makes every number lower.
read -r _ u1 n1 s1 i1 w1 _ </proc/stat; sleep 2; read -r _ u2 n2 s2 i2 w2 _ </proc/stat
BUSY_BEFORE=$(( (u2 + n2 + s2 - u1 - n1 - s1) * 100 / (u2 + n2 + s2 + i2 + w2 - u1 - n1 - s1 - i1 - w1) ))
[ "$BUSY_BEFORE" -lt 10 ] || log "warning: the machine was already ${BUSY_BEFORE}% busy before the run"
SECRET=$("$BIN" keys create --tenant load --database-url "$DB_URL" 2>/dev/null | awk '/^secret:/{print $2}')
[ -n "$SECRET" ] || die "could not create a key"
post_lua "$WORK/store.lua" "wrk.headers[\"Authorization\"] = \"Bearer $SECRET\""

"${SRV[@]}" "$BIN" serve --listen "$HOST:$PORT" --database-url "$DB_URL" --rate-limit-per-minute 0 \
    2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -n5 "$WORK/server.log")"
    sleep 0.1
done
curl -fsS -o /dev/null "$BASE/healthz" || die "the server did not answer /healthz"
log "server PID $SERVER_PID, threads: $(ls "/proc/$SERVER_PID/task" | wc -l), RSS at start $(mib "$(rss_kib)") MiB"

if [ "$WARMUP" -gt 0 ]; then
    log "warm-up: POST /v1/assess for ${WARMUP}s (not reported)"
    run_wrk "$WORK/assess.lua" /v1/assess "$WARMUP" >/dev/null
fi

phase() { [[ "$PHASES" == *"$1"* ]]; }
HWM_A=0 HWM_B=0 HWM_C=0
if phase a; then
log "(a) GET /healthz, wrk -t1 -c$CONNS -d${DURATION}s"
phase_start
A=$(run_wrk "$WORK/get.lua" /healthz "$DURATION")
log "    $A"
phase_end "(a)"
CPU_A=$CPU_LAST
log "    CPU: $CPU_A"
HWM_A=$(hwm_kib)
fi

if phase b; then
log "(b) POST /v1/assess, wrk -t1 -c$CONNS -d${DURATION}s"
phase_start
B=$(run_wrk "$WORK/assess.lua" /v1/assess "$DURATION")
log "    $B"
phase_end "(b)"
CPU_B=$CPU_LAST
log "    CPU: $CPU_B"
HWM_B=$(hwm_kib)
fi

if phase c; then
log "(c) POST /v1/assess, open loop at $RATE req/s for ${DURATION}s"
phase_start
C=$(timeout -k 5 "$LIMIT" "${GEN[@]}" "$WORK/openloop" "$PORT" /v1/assess "$BODY" "$RATE" "$DURATION" "$CONNS") ||
    die "the open-loop generator failed"
log "    $C"
phase_end "(c)"
CPU_C=$CPU_LAST
log "    CPU: $CPU_C"
HWM_C=$(hwm_kib)
fi

if phase d; then
log "(d) POST /v1/assessments ($DATABASE, Bearer key), wrk -t1 -c$CONNS -d${DURATION}s"
ROWS_BEFORE=$(count_rows)
phase_start
D=$(run_wrk "$WORK/store.lua" /v1/assessments "$DURATION")
ROWS_AFTER=$(count_rows)
log "    $D; rows $ROWS_BEFORE -> $ROWS_AFTER"
phase_end "(d)"
CPU_D=$CPU_LAST
log "    CPU: $CPU_D"
WAL_MIB=
[ "$DATABASE" = sqlite ] && WAL_MIB=$(mib $(( $(stat -c %s "$DB-wal" 2>/dev/null || echo 0) / 1024 )))
fi
HWM_D=$(hwm_kib)
RSS_END=$(rss_kib)
SERVER_ERRORS=$(grep -c -E ' (ERROR|WARN) ' "$WORK/server.log" || true)
LOG_BYTES=$(stat -c %s "$WORK/server.log")

# --- the table -----------------------------------------------------------------------------
yes_no() { awk "BEGIN{print ($1) ? \"yes\" : \"**no**\"}"; }
errs() { echo "non-2xx $(field non2xx "$1"), socket errors $(field sockerr "$1")"; }
ROWS=()
CPUS=()
if phase a; then
    A_RPS=$(field rps "$A")
    ROWS+=("| (a) GET /healthz, full throughput | $(printf '%.0f' "$A_RPS") req/s ($(errs "$A")) | p50 $(field p50_ms "$A") ms, p99 $(field p99_ms "$A") ms | | |")
    CPUS+=("(a) $CPU_A")
fi
if phase b; then
    B_RPS=$(field rps "$B")
    if phase a; then
        RATIO=$(awk -v b="$B_RPS" -v a="$A_RPS" 'BEGIN{printf "%.1f", 100*b/a}')
        B_VS="= $RATIO% of /healthz "
        MET_B=$(yes_no "$RATIO >= 70")
    else
        B_VS=""
        MET_B="(needs phase a)"
    fi
    ROWS+=("| (b) POST /v1/assess, full throughput | $(printf '%.0f' "$B_RPS") req/s ${B_VS}($(errs "$B")) | p50 $(field p50_ms "$B") ms, p99 $(field p99_ms "$B") ms | >= 70% of /healthz | $MET_B |")
    CPUS+=("(b) $CPU_B")
fi
if phase c; then
    C_P99=$(field p99_ms "$C")
    C_ANSWERED=$(field answered_rps "$C")
    C_UNANSWERED=$(field unanswered "$C")
    MET_C=$(yes_no "$C_P99 < 5 && $C_UNANSWERED == 0 && $C_ANSWERED >= 0.99 * $RATE")
    ROWS+=("| (c) POST /v1/assess, open loop at $RATE req/s | $C_ANSWERED answered/s, $(field ok "$C") ok, $(field bad "$C") bad, $C_UNANSWERED unanswered | p50 $(field p50_ms "$C") ms, p99 $C_P99 ms, p99.9 $(field p999_ms "$C") ms, max $(field max_ms "$C") ms | p99 < 5 ms | $MET_C |")
    CPUS+=("(c) $CPU_C")
fi
if phase d; then
    D_SECS=$(field duration_s "$D")
    STORED=$((ROWS_AFTER - ROWS_BEFORE))
    STORED_PS=$(awk -v n="$STORED" -v s="$D_SECS" 'BEGIN{printf "%.0f", n/s}')
    MET_D=$(yes_no "$STORED_PS >= 2000")
    ROWS+=("| (d) POST /v1/assessments, $DATABASE | $STORED rows in $D_SECS s = $STORED_PS rows/s ($(printf '%.0f' "$(field rps "$D")") req/s; $(errs "$D")${WAL_MIB:+; log file after: $WAL_MIB MiB}) | p50 $(field p50_ms "$D") ms, p99 $(field p99_ms "$D") ms | >= 2,000 rows/s | $MET_D |")
    CPUS+=("(d) $CPU_D")
fi
MET_M=$(yes_no "$HWM_D < 50 * 1024")
ROWS+=("| Peak RSS (VmHWM) | $(mib "$HWM_D") MiB (after a: $(mib "$HWM_A"), b: $(mib "$HWM_B"), c: $(mib "$HWM_C"); RSS at end $(mib "$RSS_END")) | | < 50 MiB | $MET_M |")
LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<EOF

## radiculo serve under load

$(nproc) CPUs, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'); $PINNING; loopback $HOST:$PORT;
wrk $(wrk --version 2>&1 | head -n1 | awk '{print $2}'), -t1 -c$CONNS, ${DURATION}s per phase; phases $PHASES; binary $BIN;
load average before: $LOADAVG_BEFORE, after: $LOADAVG_AFTER; CPU busy before: ${BUSY_BEFORE}%.

| Phase | Result | Latency | Target | Met |
|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

CPU during each phase (% of one CPU): $(printf '%s; ' "${CPUS[@]}" | sed 's/; $//')${PG_DIR:+ ("others" is mostly PostgreSQL's own processes)}.
${SHARED:+**Other processes used more than 10% of a CPU during $SHARED: those numbers are too low; rerun on a quiet machine.**
}${STOLEN:+**The hypervisor took more than 2% of a CPU during $STOLEN: latencies there include pauses of the whole virtual machine; rerun when it is quiet.**
}Server log (RADICULO_LOG=${RADICULO_LOG:-info}): $LOG_BYTES bytes, $SERVER_ERRORS WARN/ERROR lines.
EOF
