#!/usr/bin/env python3
"""Live-stream clients and a writer through the proxy during a rolling
upgrade (stdlib only; bench/rolling.sh runs it).

--clients SSE clients follow GET /e/EVENT/live through the proxy the way a
browser's EventSource does: when a stream ends (an instance draining says
`reconnect` and closes), they come back after the `retry` delay with
`Last-Event-ID`, and land on whichever instance the proxy picks. A writer
POSTs an incident through the proxy every --interval seconds. Both run
until the file --stop appears; then the writer stops, the clients get
--grace seconds to catch up, and the script prints (and writes to --json)
one JSON object: the incidents created (201), every answer that was not
201, and per client the incidents it saw, the ones it missed (created but
never seen), its connections, reconnections, `reconnect` frames, resyncs
(a `hello` with resync:true or a `resync` frame: the client is told to
refetch, as the replay could not be read) and any refused (re)connection
(a browser's EventSource gives up on a non-200 answer). Exit status 1 when
a client missed an incident or was refused, or a write failed.

  bench/rolling_watch.py --front 127.0.0.1:3253 --token T --stop FILE \
      [--event demo] [--clients 8] [--interval 0.2] [--grace 5] [--json out]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time


TRACE = None
TRACE_LOCK = threading.Lock()


def trace(*parts) -> None:
    """One line per connection and frame in --trace (for finding a miss)."""
    if TRACE is not None:
        with TRACE_LOCK:
            TRACE.write(f"{time.time():.3f} " + " ".join(str(p) for p in parts) + "\n")


class Client(threading.Thread):
    def __init__(self, n: int, host: str, port: int, event: str, done: threading.Event):
        super().__init__(daemon=True)
        self.n, self.host, self.port, self.event, self.done = n, host, port, event, done
        self.seen: set[int] = set()
        self.last_id: str | None = None
        self.retry_s = 0.5
        self.connections = 0
        self.reconnect_frames = 0
        self.resyncs = 0
        self.refused: list[str] = []
        self.ready = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.follow()
            except OSError as e:
                # A connection the proxy refused or cut before any answer
                # (it never does while it runs; counted, then retried).
                self.refused.append(f"{type(e).__name__}: {e}")
            if not self.done.is_set():
                time.sleep(self.retry_s)

    def follow(self) -> None:
        s = socket.create_connection((self.host, self.port), timeout=5)
        s.settimeout(1)
        try:
            head = f"GET /e/{self.event}/live HTTP/1.0\r\nHost: {self.host}:{self.port}\r\n" \
                   "Accept: text/event-stream\r\n"
            if self.last_id is not None:
                head += f"Last-Event-ID: {self.last_id}\r\n"
            s.sendall((head + "\r\n").encode())
            buf = b""
            status = None
            idle_since = time.monotonic()
            event, data, fid = "", "", None
            while not self.done.is_set():
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    # Heartbeats come every 15 s: 40 s of silence is a hang.
                    if time.monotonic() - idle_since > 40:
                        self.refused.append("stream silent for 40 s")
                        return
                    continue
                if not chunk:
                    trace(self.n, "ended")
                    return  # the stream ended: reconnect
                idle_since = time.monotonic()
                buf += chunk
                if status is None:
                    if b"\r\n\r\n" not in buf:
                        continue
                    head_raw, buf = buf.split(b"\r\n\r\n", 1)
                    status = head_raw.split(b"\r\n", 1)[0].decode("latin-1")
                    trace(self.n, "connected", status, "last-event-id", self.last_id)
                    if " 200 " not in status + " ":
                        self.refused.append(status)
                        return
                    self.connections += 1
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    line = raw.decode().rstrip("\r")
                    if line == "":
                        if fid is not None:
                            self.last_id = fid
                        self.dispatch(event, data)
                        event, data, fid = "", "", None
                    elif line.startswith(":"):
                        pass
                    else:
                        field, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if field == "event":
                            event = value
                        elif field == "data":
                            data = data + "\n" + value if data else value
                        elif field == "id":
                            fid = value
                        elif field == "retry" and value.isdigit():
                            self.retry_s = int(value) / 1000
        finally:
            s.close()

    def dispatch(self, event: str, data: str) -> None:
        if event:
            trace(self.n, "frame", self.last_id, event, data[:80])
        if event == "hello":
            if json.loads(data).get("resync"):
                self.resyncs += 1
            self.ready.set()
        elif event == "resync":
            self.resyncs += 1
        elif event == "reconnect":
            self.reconnect_frames += 1
        elif event == "incident":
            self.seen.add(int(json.loads(data)["incident_id"]))


def writer(host: str, port: int, event: str, token: str, interval: float,
           stop: str, out: dict) -> None:
    conn = None
    i = 0
    while not os.path.exists(stop):
        i += 1
        body = json.dumps({"name": f"rolling {i}", "body": "posted during a rolling upgrade"})
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.request("POST", f"/api/v1/events/{event}/incidents", body,
                         {"Authorization": f"Bearer {token}",
                          "Content-Type": "application/json"})
            r = conn.getresponse()
            text = r.read()
            if r.status == 201:
                out["created"].append(int(json.loads(text)["id"]))
                trace("writer", "created", out["created"][-1])
            else:
                out["failed"].append(f"{r.status} {text[:200].decode('utf-8', 'replace')}")
            if r.getheader("connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            out["failed"].append(f"{type(e).__name__}: {e}")
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(interval)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--front", required=True, help="host:port of the proxy")
    ap.add_argument("--token", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--event", default="demo")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--grace", type=float, default=5)
    ap.add_argument("--json", default="")
    ap.add_argument("--trace", default="", help="a file: every connection and frame")
    args = ap.parse_args()
    global TRACE
    if args.trace:
        TRACE = open(args.trace, "w", buffering=1)
    host, port = args.front.rsplit(":", 1)
    port = int(port)

    done = threading.Event()
    clients = [Client(n, host, port, args.event, done) for n in range(args.clients)]
    for c in clients:
        c.start()
    for c in clients:
        if not c.ready.wait(30):
            sys.exit(f"client {c.n} got no hello within 30 s: {c.refused}")
    print(f"{len(clients)} clients following; writing", file=sys.stderr, flush=True)
    writes: dict = {"created": [], "failed": []}
    t0 = time.time()
    writer(host, port, args.event, args.token, args.interval, args.stop, writes)
    t1 = time.time()
    # Everything created must reach every client; give them a moment.
    deadline = time.time() + args.grace
    created = set(writes["created"])
    while time.time() < deadline and any(created - c.seen for c in clients):
        time.sleep(0.1)
    done.set()
    for c in clients:
        c.join(3)

    per_client = []
    for c in clients:
        missed = sorted(created - c.seen)
        per_client.append({
            "client": c.n, "seen": len(c.seen & created), "missed": len(missed),
            "missed_ids": missed[:20], "connections": c.connections,
            "reconnect_frames": c.reconnect_frames, "resyncs": c.resyncs,
            "refused": c.refused[:10], "refused_n": len(c.refused),
        })
    res = {
        "writes_s": round(t1 - t0, 1),
        "created": len(created),
        "write_failures": len(writes["failed"]),
        "write_failure_samples": writes["failed"][:10],
        "clients": per_client,
        "clients_missing_something": sum(1 for p in per_client if p["missed"]),
        "resyncs": sum(p["resyncs"] for p in per_client),
        "refused": sum(p["refused_n"] for p in per_client),
    }
    print(json.dumps(res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    # A resync is no loss (the client is told to refetch), so it is
    # counted, not failed.
    ok = not res["clients_missing_something"] and not res["write_failures"] \
        and not res["refused"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
