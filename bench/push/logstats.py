#!/usr/bin/env python3
"""Reads the sink's access log (`$msec $server_protocol $request_uri $status`
per line) from byte --offset on and says what arrived: how many pushes,
how many distinct endpoints, statuses, protocols, first and last $msec.

    python logstats.py LOG --offset BYTES [--wait N --timeout S] [--t0 UNIX]

With --wait it polls until N pushes are there (or --timeout seconds pass).
With --t0 (unix seconds just before the shift's POST) it adds the latency
to the first and the last delivery. msgs_per_s = n / (last - first).
"""
import argparse
import json
import os
import time


def read(path, offset):
    lines = []
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1  # ignore a half-written last line
    for raw in data[:end].splitlines():
        parts = raw.decode("utf-8", "replace").split(" ")
        if len(parts) == 4 and parts[2].startswith("/push/"):
            lines.append(parts)
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--wait", type=int)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--t0", type=float)
    ap.add_argument("--json")
    args = ap.parse_args()

    deadline = time.time() + args.timeout
    lines = read(args.log, args.offset)
    while args.wait and len(lines) < args.wait and time.time() < deadline:
        time.sleep(0.5)
        lines = read(args.log, args.offset)
    times = [float(p[0]) for p in lines]
    statuses, protocols = {}, {}
    for p in lines:
        statuses[p[3]] = statuses.get(p[3], 0) + 1
        protocols[p[1]] = protocols.get(p[1], 0) + 1
    n = len(lines)
    first, last = (min(times), max(times)) if times else (None, None)
    out = {
        "n": n,
        "distinct": len({p[2] for p in lines}),
        "statuses": statuses,
        "protocols": protocols,
        "first": first,
        "last": last,
        "span_s": round(last - first, 3) if n else None,
        "msgs_per_s": round(n / (last - first)) if n > 1 and last > first else None,
        "complete": args.wait is None or n >= args.wait,
    }
    if args.t0 is not None and n:
        out["t0"] = args.t0
        out["first_after_s"] = round(first - args.t0, 3)
        out["last_after_s"] = round(last - args.t0, 3)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
