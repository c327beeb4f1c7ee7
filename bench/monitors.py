#!/usr/bin/env python3
"""Monitors at scale (stdlib only): 500 monitors at a 30 s interval against a
loopback target, and the delay from a target failing to the component
changing on an open page (SSE).

Against a running Marquee (started with MARQUEE_MONITOR_ALLOW_LOOPBACK=1)
with the demo event and an API token:

 1. starts two HTTP targets on 127.0.0.1: "fleet" (always 200) and
    "probe" (200 until told to fail, then 503; it logs the instant of
    every request);
 2. adds --monitors - 1 monitors on the fleet (spread over the demo's
    components, --interval s, first checks spread over one interval) and
    one probe monitor (N = 1 of M = 1) on its own component;
 3. samples the server's CPU time and RSS from /proc/PID every second for
    --duration seconds (all monitors checked several times);
 4. --flips times: opens the live stream (SSE), makes the probe fail, and
    records (a) fail -> event: from the switch to the component's change
    arriving on the stream (includes waiting for the next check: up to one
    interval), and (b) check -> event: from the probe's first failing
    request arriving to the event (what the server itself adds); then
    makes it healthy again and waits for the recovery event.

Prints one JSON object with the numbers. Loopback only.

  bench/monitors.py --url http://127.0.0.1:3313 --token mq_... --pid 1234
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import socket
import statistics
import threading
import time
import urllib.parse


class Target(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.failing = False
        self.first_failing_request: float | None = None
        self.requests = 0

    def handle_error(self, request, client_address) -> None:
        pass  # a checker that hangs up early is not the benchmark's business


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        srv: Target = self.server  # type: ignore[assignment]
        srv.requests += 1
        if srv.failing and srv.first_failing_request is None:
            srv.first_failing_request = time.time()
        code = 503 if srv.failing else 200
        body = b"down" if srv.failing else b"ok"
        self.send_response(code)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def start(t: Target) -> None:
    threading.Thread(target=t.serve_forever, daemon=True).start()


def api(host: str, port: int, token: str, method: str, path: str, body=None):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request(
        method,
        path,
        body=None if body is None else json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None


def proc_sample(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and RSS bytes of `pid`."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
    return cpu, rss


def wait_component(host: str, port: int, event: str, comp: int, status: str, timeout: float) -> float | None:
    """Opens the live stream and returns the instant a component change to
    `status` for `comp` arrives (None on timeout)."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(f"GET /e/{event}/live HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    deadline = time.time() + timeout
    buf = b""
    try:
        while time.time() < deadline:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                frame, buf = buf.split(b"\n\n", 1)
                text = frame.decode("utf-8", "replace")
                if f'"component_id":{comp}' in text.replace(" ", "") and f'"{status}"' in text:
                    return time.time()
    finally:
        s.close()
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:3313")
    ap.add_argument("--event", default="demo")
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--monitors", type=int, default=500)
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--duration", type=int, default=120)
    ap.add_argument("--flips", type=int, default=5)
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.url)
    host, port = u.hostname or "127.0.0.1", u.port or 80

    fleet, probe = Target(), Target()
    start(fleet)
    start(probe)
    comps = api(host, port, args.token, "GET", f"/e/{args.event}/api/v2/components.json")["components"]
    ids = [int(c["id"]) for c in comps]
    probe_comp, fleet_comps = ids[0], ids[1:] or ids
    fleet_url = f"http://127.0.0.1:{fleet.server_address[1]}/health"
    made = time.time()
    for n in range(args.monitors - 1):
        api(host, port, args.token, "POST", f"/api/v1/events/{args.event}/monitors", {
            "component_id": fleet_comps[n % len(fleet_comps)], "name": f"fleet-{n}", "kind": "http",
            "target": fleet_url, "interval_secs": args.interval, "failures": 3, "window": 5,
        })
    api(host, port, args.token, "POST", f"/api/v1/events/{args.event}/monitors", {
        "component_id": probe_comp, "name": "probe", "kind": "http",
        "target": f"http://127.0.0.1:{probe.server_address[1]}/health",
        "interval_secs": args.interval, "failures": 1, "window": 1, "recoveries": 1,
        "down_status": "major_outage",
    })
    setup_s = time.time() - made

    # Load: CPU and memory while every monitor is checked several times.
    cpu0, _ = proc_sample(args.pid)
    t0 = time.time()
    rss: list[int] = []
    requests0 = fleet.requests
    while time.time() - t0 < args.duration:
        time.sleep(1)
        rss.append(proc_sample(args.pid)[1])
    cpu1, _ = proc_sample(args.pid)
    wall = time.time() - t0
    checks = fleet.requests - requests0

    fail_to_event: list[float] = []
    check_to_event: list[float] = []
    for _ in range(args.flips):
        probe.first_failing_request = None
        result: dict = {}
        th = threading.Thread(target=lambda: result.update(at=wait_component(
            host, port, args.event, probe_comp, "major_outage", args.interval * 2 + 10)))
        th.start()
        time.sleep(0.5)  # the stream is open and past its hello
        switched = time.time()
        probe.failing = True
        th.join()
        if result.get("at") and probe.first_failing_request:
            fail_to_event.append(result["at"] - switched)
            check_to_event.append(result["at"] - probe.first_failing_request)
        back: dict = {}
        th = threading.Thread(target=lambda: back.update(at=wait_component(
            host, port, args.event, probe_comp, "operational", args.interval * 2 + 10)))
        th.start()
        time.sleep(0.5)
        probe.failing = False
        th.join()

    def ms(xs: list[float]) -> dict:
        if not xs:
            return {}
        return {"n": len(xs), "median_ms": round(statistics.median(xs) * 1000, 1),
                "max_ms": round(max(xs) * 1000, 1)}

    print(json.dumps({
        "monitors": args.monitors,
        "interval_s": args.interval,
        "setup_s": round(setup_s, 1),
        "sampled_s": round(wall, 1),
        "checks_seen_by_target": checks,
        "checks_per_s": round(checks / wall, 1),
        "expected_checks_per_s": round((args.monitors - 1) / args.interval, 1),
        "cpu_percent_of_one_core": round((cpu1 - cpu0) / wall * 100, 2),
        "rss_mb_median": round(statistics.median(rss) / 2**20, 1) if rss else None,
        "rss_mb_max": round(max(rss) / 2**20, 1) if rss else None,
        "fail_to_event": ms(fail_to_event),
        "check_to_event": ms(check_to_event),
    }, indent=2))


if __name__ == "__main__":
    main()
