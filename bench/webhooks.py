#!/usr/bin/env python3
"""Webhook fan-out: N webhook endpoints (default 1,000) told of one incident.

Starts a fresh `marquee serve` (SQLite, the demo conference) with
MARQUEE_WEBHOOK_ALLOW_LOOPBACK=1, the loopback receiver of the tests
(server/tests/support/webhook/receiver.py), adds N `standard` webhooks (the
costliest preset: each message is signed) through the API, each at its own
path, then opens an incident and measures, from the POST, when the receiver
got each delivery: first, median, p99 and last.

  python3 bench/webhooks.py                      # N=1000
  N=200 PRESET=slack python3 bench/webhooks.py
  MARQUEE_BIN=target/release/marquee python3 bench/webhooks.py

Stdlib only. Prints one JSON line with the numbers.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(os.environ.get("N", "1000"))
PRESET = os.environ.get("PRESET", "standard")
CONCURRENCY = os.environ.get("MARQUEE_WEBHOOK_CONCURRENCY", "64")


def binary():
    for b in (os.environ.get("MARQUEE_BIN"), f"{ROOT}/target/release/marquee",
              f"{ROOT}/target/debug/marquee"):
        if b and os.path.exists(b):
            return b
    sys.exit("no marquee binary: make build, or set MARQUEE_BIN")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as res:
        return res.status, json.loads(res.read() or b"null")


def wait_until(what, pred, timeout=120, every=0.02):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(every)
    sys.exit(f"timed out waiting for {what}")


def main():
    bin_ = binary()
    tmp = tempfile.mkdtemp(prefix="bench-webhooks-")
    db = f"sqlite://{tmp}/bench.db"
    env = dict(os.environ, MARQUEE_DATABASE_URL=db)
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    subprocess.run([bin_, "demo", "--date", tomorrow], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    token = subprocess.run([bin_, "token", "create", "--name", "bench"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    receiver = subprocess.Popen(
        [sys.executable, f"{ROOT}/server/tests/support/webhook/receiver.py"],
        stdout=subprocess.PIPE, text=True)
    rport = int(receiver.stdout.readline())
    rurl = f"http://127.0.0.1:{rport}"
    port = free_port()
    site = f"{tmp}/site"
    os.makedirs(f"{site}/pkg", exist_ok=True)
    server = subprocess.Popen(
        [bin_, "serve", "--addr", f"127.0.0.1:{port}", "--site-root", site],
        env=dict(env, MARQUEE_WEBHOOK_ALLOW_LOOPBACK="1", RUST_LOG="warn",
                 MARQUEE_WEBHOOK_CONCURRENCY=CONCURRENCY),
        stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        def healthy():
            try:
                return call("GET", f"{base}/healthz")[0] == 200
            except OSError:
                return False
        wait_until("the server", healthy, timeout=30)
        t = time.time()
        for i in range(N):
            call("POST", f"{base}/api/v1/events/demo/webhooks", token,
                 {"url": f"{rurl}/hook/{i}", "preset": PRESET, "kinds": ["incidents"]})
        added = time.time() - t
        t0 = time.time()
        call("POST", f"{base}/api/v1/events/demo/incidents", token,
             {"name": "Streams unavailable", "body": "The player shows nothing.",
              "impact": "major"})

        def count():
            with urllib.request.urlopen(f"{rurl}/_count", timeout=10) as res:
                n = int(res.read())
            return n if n >= N else 0
        wait_until(f"{N} deliveries", count, timeout=600)
        with urllib.request.urlopen(f"{rurl}/_log", timeout=30) as res:
            log = json.loads(res.read())
        times = sorted(r["at"] - t0 for r in log)
        paths = {r["path"] for r in log}
        out = {
            "n": N,
            "preset": PRESET,
            "concurrency": int(CONCURRENCY),
            "distinct_endpoints": len(paths),
            "seconds_to_add_webhooks": round(added, 2),
            "first_s": round(times[0], 3),
            "p50_s": round(times[len(times) // 2], 3),
            "p99_s": round(times[int(len(times) * 0.99) - 1], 3),
            "last_s": round(times[-1], 3),
            "deliveries_per_s": round(len(times) / times[-1], 1),
            "binary": bin_,
        }
        print(json.dumps(out))
    finally:
        server.terminate()
        receiver.terminate()
        server.wait()
        receiver.wait()


if __name__ == "__main__":
    main()
