#!/usr/bin/env python3
"""Write on instance A -> live stream on instance B (stdlib only).

Starts two `marquee serve` processes on one fresh PostgreSQL database (the
demo event, an API token), with the poller slowed to ten minutes so that
only LISTEN/NOTIFY can carry a change from one to the other. Opens the
live stream (/e/demo/live) on B, then posts --writes incidents on A one
after another; for each, the time from just before the POST is sent to the
moment B's stream delivers the `incident` frame naming it (write_to_b: the
write, its commit, the notification, B's refresh and fan-out). Also the
POST's own time (post: A writes and refreshes its own view before it
answers) and from A's answer to B's frame (answer_to_b; negative when B
was faster than A's answer). Prints p50/p90/p99/max of each and writes
--json. Loopback only.

  bench/multi.py --bin target/release/marquee [--writes 100] \
      [--pg postgres://postgres@127.0.0.1:5432/postgres] [--ports 3450,3451]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def wait_healthy(port: int, within: float = 30) -> None:
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if b'"database":"ok"' in c.getresponse().read():
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"instance on {port} not healthy after {within}s")


def follow(port: int, frames: queue.Queue) -> None:
    """Reads B's live stream; puts (arrival, event, data) per frame."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET /e/demo/live HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    f = s.makefile("rb")
    while f.readline() not in (b"\r\n", b""):
        pass
    event, data = "", ""
    for raw in f:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line == "" and event:
            frames.put((time.perf_counter(), event, data))
            event, data = "", ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/marquee")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--ports", default="3450,3451")
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    pa, pb = (int(p) for p in args.ports.split(","))
    name = f"marquee_bench_multi_{os.getpid()}"
    psql(args.pg, f"create database {name}")
    db = args.pg.rsplit("/", 1)[0] + "/" + name
    procs = []
    try:
        env = dict(os.environ, MARQUEE_DATABASE_URL=db)
        subprocess.run([args.bin, "demo"], env=env, check=True, capture_output=True)
        token = subprocess.run(
            [args.bin, "token", "create", "--name", "bench"],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()
        site = tempfile.mkdtemp()
        os.makedirs(os.path.join(site, "pkg"))
        for port in (pa, pb):
            procs.append(subprocess.Popen(
                [args.bin, "serve", "--addr", f"127.0.0.1:{port}", "--site-root", site],
                env=dict(env, MARQUEE_POLL_INTERVAL_MS="600000", RUST_LOG="warn"),
                stdout=subprocess.DEVNULL,
            ))
        for port in (pa, pb):
            wait_healthy(port)
        frames: queue.Queue = queue.Queue()
        threading.Thread(target=follow, args=(pb, frames), daemon=True).start()
        # The stream's hello.
        frames.get(timeout=10)
        conn = http.client.HTTPConnection("127.0.0.1", pa, timeout=10)
        lat, post, after = [], [], []
        for i in range(args.writes):
            body = json.dumps({"name": f"bench {i}", "body": "x"})
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/events/demo/incidents", body,
                         {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            r = conn.getresponse()
            out = json.loads(r.read())
            t1 = time.perf_counter()
            assert r.status == 201, out
            post.append((t1 - t0) * 1000)
            key = f'"incident_id":{out["id"]}'
            while True:
                at, event, data = frames.get(timeout=10)
                if event == "incident" and key in data:
                    lat.append((at - t0) * 1000)
                    after.append((at - t1) * 1000)
                    break
            time.sleep(0.02)
        res = {"writes": len(lat)}
        for what, xs in (("write_to_b", lat), ("post", post), ("answer_to_b", after)):
            for p in (50, 90, 99):
                res[f"{what}_p{p}_ms"] = round(pct(xs, p), 2)
            res[f"{what}_max_ms"] = round(max(xs), 2)
        print(json.dumps(res))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        psql(args.pg, f"drop database if exists {name} with (force)")


if __name__ == "__main__":
    main()
