#!/usr/bin/env python3
"""Steady mixed load on a running `radiculo serve` at 127.0.0.1, for scripts/soak.sh.

Open loop at a fixed rate: request i is due at t0 + i/RATE and is sent on the first idle
keep-alive connection (or waits, first in first out, until one is free); its latency is counted
from that due time, so a server that falls behind shows it. The requests go round a cycle of six:

    POST /v1/assess                 200   (a case from the files given, in turn)
    POST /v1/assessments            201   (stores a case; its id joins the live set)
    POST /v1/assess                 200
    GET  /v1/assessments/{id}       200   (a random live id; the record's id is checked)
    GET  /v1/assessments?limit=5    200   (walking the pages with each `next` cursor in turn)
    DELETE /v1/assessments/{id}     204   (the oldest live id no read is waiting on)

so inserts and deletes keep pace and the tenant holds about KEEP records throughout (KEEP are
stored before the clock starts). Each connection is closed and a new one opened after 50 to 150
requests (the last one sent with `Connection: close`), so connection set-up and tear-down are
exercised too, not only requests on long-lived connections.

Any other status, a broken connection or an answer not complete within 10 s is an error: the
run goes on to the end and exits 1. At the end every record of the tenant is listed (pages of
100) and their count must equal the live set's. A JSON report goes to --report.
Python 3 standard library only.
"""

import argparse
import asyncio
import collections
import json
import random
import re
import resource
import socket
import sys
import time

CYCLE = ("assess", "insert", "assess", "get", "list", "delete")
EXPECTED = {"assess": 200, "insert": 201, "get": 200, "list": 200, "delete": 204, "final_list": 200}
ROUTES = {
    "assess": "POST /v1/assess",
    "insert": "POST /v1/assessments",
    "get": "GET /v1/assessments/{id}",
    "list": "GET /v1/assessments?limit=5",
    "delete": "DELETE /v1/assessments/{id}",
    "final_list": "GET /v1/assessments?limit=100 (final count)",
}
ANSWER_TIMEOUT = 10.0
ID_AT_START = re.compile(rb'^\{"id":"([^"]+)"')
NEXT_AT_END = re.compile(rb'"next":(null|"([0-9]*)")\}\s*$')


class Failure(Exception):
    """A broken connection or an answer that is not HTTP/1.1 as expected."""


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.left = random.randint(50, 150)


class Soak:
    def __init__(self, args, cases):
        self.a = args
        self.cases = cases
        self.host = f"127.0.0.1:{args.port}"
        self.auth = f"Authorization: Bearer {args.key}\r\n"
        self.idle = asyncio.Queue()
        self.live = collections.OrderedDict()  # id -> reads in flight, oldest first
        self.cursor = ""
        self.counts = collections.Counter()  # (op, status or error text) -> n
        self.lat = collections.defaultdict(list)
        self.samples = []  # first few unexpected answers, for the report
        self.case_i = 0
        self.skipped_deletes = 0
        self.reconnects = 0
        self.per_minute = collections.Counter()

    # --- connections ---------------------------------------------------------------------
    async def connect(self):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.a.port, limit=1 << 20), ANSWER_TIMEOUT
        )
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Conn(reader, writer)

    @staticmethod
    def close(conn):
        try:
            conn.writer.close()
        except Exception:
            pass

    async def request(self, conn, method, path, body=b"", auth=True):
        """Sends one request on conn and reads its answer: (status, body, server_closes)."""
        conn.left -= 1
        last = conn.left <= 0
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            + (self.auth if auth else "")
            + ("Content-Type: application/json\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if last else "")
            + "\r\n"
        ).encode()
        conn.writer.write(head + body)
        await conn.writer.drain()
        try:
            raw = await conn.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            raise Failure("connection closed before an answer") from e
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise Failure(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            data = await conn.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await conn.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await conn.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            data = b""
        closes = last or headers.get("connection", "").lower() == "close"
        return status, data, closes

    async def with_conn(self, method, path, body=b"", auth=True):
        """One request on an idle connection (waiting for one, in order); a fresh connection
        replaces it when it closes or breaks."""
        conn = await self.idle.get()
        try:
            if conn is None:
                conn = await self.connect()
                self.reconnects += 1
            status, data, closes = await asyncio.wait_for(
                self.request(conn, method, path, body, auth), ANSWER_TIMEOUT
            )
        except BaseException:
            if conn is not None:
                self.close(conn)
            self.idle.put_nowait(None)  # the next user opens a new one
            raise
        if closes:
            self.close(conn)
            self.idle.put_nowait(None)
        else:
            self.idle.put_nowait(conn)
        return status, data

    # --- the operations ------------------------------------------------------------------
    def next_case(self):
        case = self.cases[self.case_i % len(self.cases)]
        self.case_i += 1
        return case

    def note(self, op, status, data, due):
        now = time.monotonic()
        self.lat[op].append(now - due)
        self.counts[(op, status)] += 1
        if status != EXPECTED[op]:
            if len(self.samples) < 10:
                self.samples.append(
                    {"route": ROUTES[op], "status": status, "body": data[:300].decode("utf-8", "replace")}
                )
            return False
        return True

    async def op(self, op, due):
        target = None
        try:
            if op == "assess":
                status, data = await self.with_conn("POST", "/v1/assess", self.next_case(), auth=False)
                if self.note(op, status, data, due) and not data.startswith(b"{"):
                    self.fail(op, "200 without a JSON object")
            elif op == "insert":
                status, data = await self.with_conn("POST", "/v1/assessments", self.next_case())
                if self.note(op, status, data, due):
                    m = ID_AT_START.match(data[:200])
                    if not m:
                        self.fail(op, "201 without an id")
                    else:
                        self.live[m.group(1).decode()] = 0
            elif op == "get":
                if not self.live:
                    self.skip(op)
                    return
                target = random.choice(list(self.live))
                self.live[target] += 1
                status, data = await self.with_conn("GET", f"/v1/assessments/{target}")
                if self.note(op, status, data, due):
                    m = ID_AT_START.match(data[:200])
                    if not m or m.group(1).decode() != target:
                        self.fail(op, "200 with another record's id")
            elif op == "list":
                path = "/v1/assessments?limit=5" + (f"&cursor={self.cursor}" if self.cursor else "")
                status, data = await self.with_conn("GET", path)
                if self.note(op, status, data, due):
                    m = NEXT_AT_END.search(data[-200:])
                    if not m:
                        self.fail(op, "200 without a `next`")
                    else:
                        self.cursor = (m.group(2) or b"").decode()
            elif op == "delete":
                target = next((i for i, reads in self.live.items() if reads == 0), None)
                if target is None or len(self.live) <= self.a.keep // 2:
                    self.skipped_deletes += 1
                    self.skip(op)
                    return
                del self.live[target]
                status, data = await self.with_conn("DELETE", f"/v1/assessments/{target}")
                self.note(op, status, data, due)
        except (Failure, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            kind = "timeout" if isinstance(e, asyncio.TimeoutError) else f"connection error: {type(e).__name__}: {e}"
            self.counts[(op, kind)] += 1
            self.lat[op].append(time.monotonic() - due)
            if len(self.samples) < 10:
                self.samples.append({"route": ROUTES[op], "status": kind, "body": ""})
        finally:
            if op == "get" and target is not None and target in self.live:
                self.live[target] -= 1

    def fail(self, op, what):
        self.counts[(op, "bad answer: " + what)] += 1

    def skip(self, op):
        self.counts[(op, "skipped")] += 1

    # --- the run -------------------------------------------------------------------------
    async def run(self):
        a = self.a
        for _ in range(a.conns):
            self.idle.put_nowait(await self.connect())
        # the live set, before the clock starts
        await asyncio.gather(*(self.op("insert", time.monotonic()) for _ in range(a.keep)))
        total = int(a.rate * a.seconds)
        t0 = time.monotonic() + 0.1
        tasks = set()
        started = time.time()
        minute_mark = 60
        for i in range(total):
            due = t0 + i / a.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            t = asyncio.get_running_loop().create_task(self.op(CYCLE[i % len(CYCLE)], due))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
            if a.progress and due - t0 >= minute_mark:
                bad = sum(n for (op, s), n in self.counts.items() if s != EXPECTED[op] and s != "skipped")
                print(f"[soak] {minute_mark:.0f} s: {i} requests sent, {bad} errors, "
                      f"{len(self.live)} records live", file=sys.stderr, flush=True)
                minute_mark += 60
        if tasks:
            await asyncio.wait(tasks, timeout=ANSWER_TIMEOUT + 2)
        unanswered = sum(1 for t in tasks if not t.done())
        elapsed = time.monotonic() - t0
        # every record of the tenant: as many as the live set
        stored, cursor = 0, ""
        for _ in range(1000):
            path = "/v1/assessments?limit=100" + (f"&cursor={cursor}" if cursor else "")
            status, data = await self.with_conn("GET", path)
            if status != 200:
                self.note("final_list", status, data, time.monotonic())
                break
            page = json.loads(data)
            stored += len(page["items"])
            cursor = page["next"] or ""
            if not cursor:
                break
        return {"elapsed": elapsed, "unanswered": unanswered, "stored_at_end": stored, "started": started}


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--rate", type=float, default=300.0)
    p.add_argument("--conns", type=int, default=16)
    p.add_argument("--keep", type=int, default=20, help="records stored before the clock starts")
    p.add_argument("--cases", nargs="+", required=True, help=".json (one case) or .jsonl files")
    p.add_argument("--report", required=True)
    p.add_argument("--progress", action="store_true", help="a line on stderr every minute")
    a = p.parse_args()
    if not (0 < a.rate <= 5000 and 0 < a.seconds <= 3600 and 1 <= a.conns <= 256 and 2 <= a.keep <= 1000):
        p.error("rate 1-5000, seconds up to 3600, conns 1-256, keep 2-1000")
    cases = []
    for name in a.cases:
        with open(name, "rb") as f:
            if name.endswith(".jsonl"):
                cases += [json.dumps(json.loads(line), separators=(",", ":")).encode() for line in f if line.strip()]
            else:
                cases.append(json.dumps(json.load(f), separators=(",", ":")).encode())
    random.seed(1)
    soak = Soak(a, cases)
    result = asyncio.run(soak.run())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    routes = {}
    errors = 0
    for op in CYCLE + ("final_list",):
        statuses = {str(s): n for (o, s), n in sorted(soak.counts.items(), key=str) if o == op}
        if not statuses and op == "final_list":
            continue
        bad = sum(n for s, n in statuses.items() if s != str(EXPECTED[op]) and s != "skipped")
        errors += bad
        lat = soak.lat[op]
        routes[ROUTES[op]] = {
            "statuses": statuses,
            "expected": EXPECTED[op],
            "errors": bad,
            "p50_ms": round(pct(lat, 50) * 1000, 2),
            "p99_ms": round(pct(lat, 99) * 1000, 2),
            "max_ms": round(max(lat, default=0) * 1000, 2),
        }
    errors += result["unanswered"]
    bounded = result["stored_at_end"] == len(soak.live)
    report = {
        "rate": a.rate,
        "seconds": a.seconds,
        "elapsed_s": round(result["elapsed"], 2),
        "requests": sum(n for (o, s), n in soak.counts.items() if s != "skipped" and o != "final_list"),
        "errors": errors,
        "unanswered": result["unanswered"],
        "skipped_deletes": soak.skipped_deletes,
        "reconnects": soak.reconnects,
        "live_at_end": len(soak.live),
        "stored_at_end": result["stored_at_end"],
        "bounded": bounded,
        "generator_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "routes": routes,
        "unexpected": soak.samples,
    }
    with open(a.report, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: report[k] for k in ("requests", "errors", "unanswered", "stored_at_end", "live_at_end")}))
    sys.exit(0 if errors == 0 and bounded else 1)


if __name__ == "__main__":
    main()
