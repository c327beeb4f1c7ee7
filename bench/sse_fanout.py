#!/usr/bin/env python3
"""SSE fan-out benchmark for Marquee (Python 3.11 stdlib only).

Opens N Server-Sent-Events connections to /e/{event}/live (raw HTTP/1.1 over
asyncio sockets, spread over --procs worker processes), waits until every
client has read the `hello` event (i.e. is subscribed to the live hub), then
posts --updates incident updates through the write API, one at a time.  For
each update and each client it records the time from just before the POST is
sent to the moment the client's event loop receives the bytes of the
`event: incident` frame, and prints p50 / p99 / max and how many clients got
it.  The server's RSS (VmRSS from /proc/PID/status) is sampled before
connecting, with all clients connected, after the updates and after the
clients disconnected.

Clock: time.monotonic_ns() (CLOCK_MONOTONIC, system-wide on Linux), so the
timestamps taken in the worker processes and in the coordinator compare.

What is measured includes the client side: the kernel wake-up of the client
process and the asyncio loop working through up to N readable sockets.  With
2 cores shared by server and clients, the tail (p99/max) at large N is partly
client-bound; each worker therefore reports the CPU time it spent during the
delivery window, and the server's CPU time per update is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time

# ---------------------------------------------------------------- helpers


def raise_nofile(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of pid in KiB."""
    rss = hwm = -1
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def cpu_ticks(pid: int) -> int:
    """utime + stime of pid in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def busy_ticks() -> int:
    """System-wide non-idle CPU ticks (user nice system irq softirq steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def pct(sorted_vals: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


# ---------------------------------------------------------------- client side

HELLO = b"event: hello"
INCIDENT = b"event: incident"
TAIL = 64  # bytes kept across reads so a marker split between reads is found


class Tracker:
    """Per worker: how many subscribed clients have got the armed update."""

    def __init__(self):
        self.got = 0
        self.alive = 0
        self.done = asyncio.Event()

    def arm(self, alive: int):
        self.got = 0
        self.alive = alive
        self.done = asyncio.Event()

    def check(self):
        if self.got >= self.alive:
            self.done.set()


class SseClient(asyncio.Protocol):
    __slots__ = ("buf", "hello", "hello_fut", "status_ok", "incident_times", "closed", "transport", "head_done", "tracker")

    def __init__(self, hello_fut: asyncio.Future, tracker: Tracker):
        self.tracker = tracker
        self.buf = b""
        self.hello = False
        self.hello_fut = hello_fut
        self.status_ok = None
        self.incident_times: list[int] = []
        self.closed = False
        self.transport = None
        self.head_done = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes):
        now = time.monotonic_ns()
        if not self.head_done:
            self.buf += data
            if self.status_ok is None and b"\r\n" in self.buf:
                line = self.buf.split(b"\r\n", 1)[0]
                self.status_ok = line.startswith(b"HTTP/1.1 200")
                if not self.status_ok:
                    if not self.hello_fut.done():
                        self.hello_fut.set_exception(RuntimeError(line.decode(errors="replace")))
                    self.transport.close()
                    return
            if HELLO in self.buf:
                self.head_done = True
                self.hello = True
                # anything after hello (unlikely) is scanned below
                data = self.buf[self.buf.index(HELLO) + len(HELLO) :]
                self.buf = b""
                if not self.hello_fut.done():
                    self.hello_fut.set_result(True)
            else:
                return
        scan = self.buf + data
        start = 0
        while True:
            i = scan.find(INCIDENT, start)
            if i < 0:
                break
            if not self.incident_times:
                self.tracker.got += 1
                self.tracker.check()
            self.incident_times.append(now)
            start = i + len(INCIDENT)
        # keep a short tail, but never re-find a marker already counted
        self.buf = scan[max(start, len(scan) - TAIL) :]

    def connection_lost(self, exc):
        self.closed = True
        if self.hello and not self.incident_times:
            self.tracker.alive -= 1
            self.tracker.check()
        if not self.hello_fut.done():
            self.hello_fut.set_exception(ConnectionError(f"closed before hello: {exc}"))


async def worker_main(conn, host: str, port: int, path: str, n: int, conc: int, timeout: float):
    loop = asyncio.get_running_loop()
    req = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Cache-Control: no-cache\r\nUser-Agent: sse-fanout-bench\r\n\r\n"
    ).encode()
    clients: list[SseClient] = []
    errors: dict[str, int] = {}
    sem = asyncio.Semaphore(conc)
    tracker = Tracker()

    async def open_one():
        async with sem:
            fut = loop.create_future()
            try:
                tr, pr = await asyncio.wait_for(
                    loop.create_connection(lambda: SseClient(fut, tracker), host, port), timeout
                )
                tr.write(req)
                await asyncio.wait_for(fut, timeout)
                clients.append(pr)
            except Exception as e:  # noqa: BLE001 - we count every kind of failure
                key = type(e).__name__ + (f": {e}" if str(e) else "")
                errors[key[:120]] = errors.get(key[:120], 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(n)))
    conn.send(("ready", len(clients), errors, time.monotonic() - t0))

    while True:
        msg = await loop.run_in_executor(None, conn.recv)
        if msg[0] == "arm":
            cpu0 = time.process_time()
            for c in clients:
                c.incident_times.clear()
            tracker.arm(sum(1 for c in clients if not c.closed))
            conn.send(("armed",))
        elif msg[0] == "collect":
            if msg[1] > 0:
                try:
                    await asyncio.wait_for(tracker.done.wait(), msg[1])
                except asyncio.TimeoutError:
                    pass
            cpu = time.process_time() - cpu0
            first = [c.incident_times[0] for c in clients if c.incident_times]
            extra = sum(max(0, len(c.incident_times) - 1) for c in clients)
            closed = sum(1 for c in clients if c.closed)
            conn.send(("collected", first, extra, closed, cpu))
        elif msg[0] == "close":
            for c in clients:
                if c.transport is not None:
                    c.transport.close()
            await asyncio.sleep(0.2)
            conn.send(("closed",))
            return


def worker_entry(conn, host, port, path, n, conc, timeout):
    raise_nofile(n + 256)
    try:
        asyncio.run(worker_main(conn, host, port, path, n, conc, timeout))
    except Exception as e:  # noqa: BLE001
        conn.send(("error", repr(e)))


# ---------------------------------------------------------------- coordinator


def post_update(host, port, event, incident, token, status, body) -> tuple[int, int]:
    """POST one update; returns (t_before_ns, http_status)."""
    payload = json.dumps({"status": status, "body": body}).encode()
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.connect()  # connect first so the timed part is the request itself
    t0 = time.monotonic_ns()
    c.request(
        "POST",
        f"/api/v1/events/{event}/incidents/{incident}/updates",
        body=payload,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    r = c.getresponse()
    r.read()
    c.close()
    return t0, r.status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=3200)
    ap.add_argument("--event", default="demo")
    ap.add_argument("--token", default=os.environ.get("MARQUEE_TOKEN"), help="bearer token (or MARQUEE_TOKEN)")
    ap.add_argument("--incident", type=int, required=True, help="incident id to post updates to")
    ap.add_argument("-n", "--clients", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=1, help="client worker processes")
    ap.add_argument("--updates", type=int, default=5)
    ap.add_argument("--pid", type=int, help="server pid, for RSS / CPU / fd sampling")
    ap.add_argument("--connect-concurrency", type=int, default=100, help="connections being opened at once, per process (keep below the server listen backlog, 128)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each delivery / handshake")
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between updates")
    ap.add_argument("--status", default="identified", help="status of the posted updates (same-status updates are allowed)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    a = ap.parse_args()
    if not a.token:
        ap.error("--token or MARQUEE_TOKEN is required")

    lim = raise_nofile(a.clients + 1024)
    print(f"# sse_fanout: N={a.clients} procs={a.procs} updates={a.updates} RLIMIT_NOFILE={lim}", flush=True)
    out: dict = {"clients": a.clients, "procs": a.procs, "updates": []}

    def sample(label):
        if a.pid:
            rss, hwm = rss_kib(a.pid)
            fds = fd_count(a.pid)
            out[f"rss_{label}_kib"] = rss
            out[f"hwm_{label}_kib"] = hwm
            print(f"server RSS {label:>10}: {rss / 1024:8.1f} MiB  (peak {hwm / 1024:.1f} MiB, open fds {fds})", flush=True)

    sample("before")

    path = f"/e/{a.event}/live"
    per = [a.clients // a.procs + (1 if i < a.clients % a.procs else 0) for i in range(a.procs)]
    ctx = mp.get_context("fork")
    pipes, procs = [], []
    for k in per:
        parent, child = ctx.Pipe()
        p = ctx.Process(
            target=worker_entry,
            args=(child, a.host, a.port, path, k, a.connect_concurrency, a.timeout),
            daemon=True,
        )
        p.start()
        pipes.append(parent)
        procs.append(p)

    connected, errors, took = 0, {}, 0.0
    for c in pipes:
        msg = c.recv()
        if msg[0] == "error":
            print("worker failed:", msg[1], file=sys.stderr)
            return 2
        _, ok, errs, secs = msg
        connected += ok
        took = max(took, secs)
        for k, v in errs.items():
            errors[k] = errors.get(k, 0) + v
    out["connected"] = connected
    out["connect_errors"] = errors
    out["connect_seconds"] = round(took, 3)
    print(f"subscribed: {connected}/{a.clients} in {took:.2f} s; connect errors: {errors or 'none'}", flush=True)
    time.sleep(1.0)  # let the server settle
    sample("connected")

    all_lat: list[float] = []
    for u in range(a.updates):
        for c in pipes:
            c.send(("arm",))
        for c in pipes:
            c.recv()
        cpu_s0 = cpu_ticks(a.pid) if a.pid else 0
        busy0, wall0 = busy_ticks(), time.monotonic()
        t0, status = post_update(
            a.host, a.port, a.event, a.incident, a.token, a.status, f"bench update {u + 1} of {a.updates}"
        )
        t_post = (time.monotonic_ns() - t0) / 1e6
        for c in pipes:
            c.send(("collect", a.timeout if 200 <= status < 300 else 0))
        lat, extra, closed, ccpu = [], 0, 0, []
        for c in pipes:
            _, first, ex, cl, cpu = c.recv()
            lat.extend((t - t0) / 1e6 for t in first)
            extra += ex
            closed += cl
            ccpu.append(cpu)
        hz = os.sysconf("SC_CLK_TCK")
        srv_cpu = (cpu_ticks(a.pid) - cpu_s0) / hz if a.pid else float("nan")
        busy = (busy_ticks() - busy0) / hz
        wall = time.monotonic() - wall0
        other = max(0.0, busy - (srv_cpu if a.pid else 0) - sum(ccpu)) / (wall * os.cpu_count()) * 100
        lat.sort()
        all_lat.extend(lat)
        row = {
            "update": u + 1,
            "http_status": status,
            "post_ms": round(t_post, 2),
            "received": len(lat),
            "of": connected,
            "closed": closed,
            "extra_frames": extra,
            "p50_ms": round(pct(lat, 50), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "max_ms": round(lat[-1], 2) if lat else None,
            "min_ms": round(lat[0], 2) if lat else None,
            "client_cpu_s": [round(x, 3) for x in ccpu],
            "server_cpu_s": round(srv_cpu, 3),
            "other_cpu_pct": round(other, 1),
        }
        out["updates"].append(row)
        print(
            f"update {u + 1}: POST {status} in {t_post:7.1f} ms | received {len(lat)}/{connected}"
            f" (closed {closed}, extra {extra}) | min {row['min_ms']} p50 {row['p50_ms']} p99 {row['p99_ms']}"
            f" max {row['max_ms']} ms | client cpu {row['client_cpu_s']} s, server cpu {row['server_cpu_s']} s,"
            f" other cpu {row['other_cpu_pct']}% of {wall:.2f} s",
            flush=True,
        )
        time.sleep(a.gap)

    all_lat.sort()
    agg = {
        "received": len(all_lat),
        "expected": connected * a.updates,
        "p50_ms": round(pct(all_lat, 50), 2),
        "p99_ms": round(pct(all_lat, 99), 2),
        "max_ms": round(all_lat[-1], 2) if all_lat else None,
        "mean_ms": round(statistics.fmean(all_lat), 2) if all_lat else None,
    }
    out["aggregate"] = agg
    print(
        f"AGGREGATE N={a.clients}: received {agg['received']}/{agg['expected']} | p50 {agg['p50_ms']} ms"
        f" p99 {agg['p99_ms']} ms max {agg['max_ms']} ms mean {agg['mean_ms']} ms",
        flush=True,
    )
    sample("updates")

    for c in pipes:
        c.send(("close",))
    for c in pipes:
        c.recv()
    for p in procs:
        p.join(10)
    time.sleep(2.0)
    sample("closed")

    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    ok = agg["received"] == agg["expected"] and connected == a.clients
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
