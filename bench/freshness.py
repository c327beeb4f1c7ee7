#!/usr/bin/env python3
"""Write -> served latency for Marquee's public read path (stdlib only).

Against a running Marquee with the demo event and an API token, posts
--updates incident updates one after another through the write API, each
with a unique marker in its body. While each POST is in flight, --pollers
threads GET the public page (--page, default the status page) over
keep-alive connections as fast as they can. For each update it records

  commit->served: from the moment the POST's response arrives (the write is
                  committed and the read model refreshed before the API
                  answers) to the first GET *started after it* whose body
                  holds the marker: should be one request's time, because
                  the render cache is keyed on the view;
  post->served:   from just before the POST is sent to the first GET that
                  holds the marker (includes the write itself);
  stale-after-commit: GETs started after the POST answered that still
                  showed the old page (must be 0: the page never lies).

Prints p50/p99/max of both and the stale count. Loopback only.

  bench/freshness.py --url http://127.0.0.1:3200 --token mq_... [--updates 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:3200")
    ap.add_argument("--event", default="demo")
    ap.add_argument("--token", required=True)
    ap.add_argument("--updates", type=int, default=50)
    ap.add_argument("--pollers", type=int, default=4)
    ap.add_argument("--page", default=None, help="path polled (default /e/EVENT/status)")
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.url)
    host, port = u.hostname, u.port or 80
    page = args.page or f"/e/{args.event}/status"
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}

    api = http.client.HTTPConnection(host, port, timeout=30)
    api.request(
        "POST",
        f"/api/v1/events/{args.event}/incidents",
        json.dumps({"name": "Freshness probe", "body": "probe start", "components": []}),
        headers,
    )
    r = api.getresponse()
    body = r.read()
    assert r.status == 201, body
    incident = json.loads(body)["id"]

    state = {"marker": None, "commit": None, "seen": None, "stale": 0, "stop": False}
    lock = threading.Lock()

    def poll() -> None:
        c = http.client.HTTPConnection(host, port, timeout=30)
        while not state["stop"]:
            with lock:
                marker, commit = state["marker"], state["commit"]
            started = time.monotonic()
            c.request("GET", page, headers={"Accept-Encoding": "identity"})
            resp = c.getresponse()
            text = resp.read()
            done = time.monotonic()
            if marker is None:
                continue
            has = marker.encode() in text
            with lock:
                if has and state["seen"] is None and state["marker"] == marker:
                    state["seen"] = done
                elif not has and commit is not None and started > commit and state["marker"] == marker:
                    state["stale"] += 1

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(args.pollers)]
    for t in threads:
        t.start()
    commit_served: list[float] = []
    post_served: list[float] = []
    stale_total = 0
    for i in range(args.updates):
        marker = f"probe-{time.time_ns()}-{i}"
        with lock:
            state.update(marker=marker, commit=None, seen=None, stale=0)
        sent = time.monotonic()
        api.request(
            "POST",
            f"/api/v1/events/{args.event}/incidents/{incident}/updates",
            json.dumps({"status": "identified", "body": marker}),
            headers,
        )
        r = api.getresponse()
        r.read()
        assert r.status in (200, 201), r.status
        committed = time.monotonic()
        with lock:
            state["commit"] = committed
        while True:
            with lock:
                seen = state["seen"]
            if seen is not None:
                break
            time.sleep(0.0005)
        with lock:
            stale_total += state["stale"]
        commit_served.append(max(0.0, seen - committed) * 1000)
        post_served.append((seen - sent) * 1000)
    state["stop"] = True
    for name, xs in (("commit->served", commit_served), ("post->served", post_served)):
        print(
            f"{name}: n={len(xs)} p50={pct(xs, 50):.1f} ms p99={pct(xs, 99):.1f} ms "
            f"max={max(xs):.1f} ms mean={statistics.mean(xs):.1f} ms"
        )
    print(f"stale responses started after the commit: {stale_total}")
    api.request(
        "POST",
        f"/api/v1/events/{args.event}/incidents/{incident}/updates",
        json.dumps({"status": "resolved", "body": "probe done"}),
        headers,
    )
    api.getresponse().read()


if __name__ == "__main__":
    main()
