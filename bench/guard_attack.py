#!/usr/bin/env python3
"""Loopback-only attack traffic and a latency probe for bench/guard.sh.

    guard_attack.py probe --url URL --seconds S --json OUT
        One visitor: sequential GETs of URL on one kept-alive connection for S
        seconds; latency percentiles.
    guard_attack.py login --port P --clients 64 --seconds S --accounts A --json OUT
        64 clients posting wrong passwords to /login as fast as they can,
        each from its own loopback address (127.0.0.2 ...), round-robin over
        A accounts (the first is the real organiser); counts answers per
        status and, for the real account, how many reached the password
        check (303) and when.
    guard_attack.py slowloris --port P --conns 5000 --seconds S --json OUT
        N connections that send a request's headers one byte a second; each
        reconnects when the server closes it; how long the server let them
        stay.

Every address used is in 127.0.0.0/8; every loop stops after S seconds.
"""
import argparse
import asyncio
import http.client
import json
import random
import statistics
import time
import urllib.parse


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def probe(args):
    u = urllib.parse.urlsplit(args.url)
    conn = None
    lat, errors, statuses = [], 0, {}
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            conn.request("GET", u.path or "/")
            res = conn.getresponse()
            res.read()
            statuses[res.status] = statuses.get(res.status, 0) + 1
            lat.append((time.perf_counter() - t0) * 1000)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn = None
        time.sleep(args.interval)
    out = {
        "n": len(lat), "errors": errors, "statuses": statuses,
        "p50_ms": round(pct(lat, 50), 2), "p90_ms": round(pct(lat, 90), 2),
        "p99_ms": round(pct(lat, 99), 2), "max_ms": round(max(lat), 2),
        "mean_ms": round(statistics.mean(lat), 2),
    }
    json.dump(out, open(args.json, "w"))
    print(json.dumps(out))


async def login(args):
    accounts = ["organiser@example.org"] + [f"nobody{i}@example.org" for i in range(1, args.accounts)]
    counts = {}
    real = {"tried": 0, "checked": 0, "throttled": 0, "checked_at": []}
    start = time.monotonic()
    end = start + args.seconds
    body_for = lambda email: urllib.parse.urlencode({"email": email, "password": "wrong-password-%d" % random.randrange(10**9)})

    async def client(n):
        local = f"127.0.0.{2 + n}"
        i = n
        while time.monotonic() < end:
            email = accounts[i % len(accounts)]
            i += args.clients
            body = body_for(email).encode()
            try:
                r, w = await asyncio.open_connection("127.0.0.1", args.port, local_addr=(local, 0))
                w.write(
                    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                    b"Origin: http://127.0.0.1:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: %d\r\n\r\n" % (args.port, args.port, len(body)) + body
                )
                await w.drain()
                line = await asyncio.wait_for(r.readline(), 60)
                w.close()
                status = int(line.split()[1]) if line else 0
            except (OSError, asyncio.TimeoutError, ValueError, IndexError):
                status = 0
            counts[status] = counts.get(status, 0) + 1
            if email == accounts[0]:
                real["tried"] += 1
                if status == 303:
                    real["checked"] += 1
                    real["checked_at"].append(round(time.monotonic() - start, 1))
                elif status == 429:
                    real["throttled"] += 1

    await asyncio.gather(*(client(n) for n in range(args.clients)))
    elapsed = time.monotonic() - start
    out = {"seconds": round(elapsed, 1), "clients": args.clients, "accounts": args.accounts,
           "statuses": {str(k): v for k, v in sorted(counts.items())},
           "attempts": sum(counts.values()), "per_s": round(sum(counts.values()) / elapsed, 1),
           "real_account": real}
    json.dump(out, open(args.json, "w"))
    print(json.dumps({k: v for k, v in out.items()}))


async def slowloris(args):
    held = []  # seconds each connection stayed open until the server closed it
    opened = 0
    closed_by_server = 0
    start = time.monotonic()
    end = start + args.seconds
    head = b"GET /e/demo/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "

    async def one(n):
        nonlocal opened, closed_by_server
        await asyncio.sleep(n * args.ramp / args.conns)  # spread the connects
        while time.monotonic() < end:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", args.port)
            except OSError:
                await asyncio.sleep(1)
                continue
            opened += 1
            t0 = time.monotonic()
            data = head + b"a" * 10_000
            i = 0
            try:
                while time.monotonic() < end:
                    w.write(data[i:i + 1])
                    i += 1
                    await w.drain()
                    # a closed connection shows up as EOF on read
                    try:
                        got = await asyncio.wait_for(r.read(1024), 1.0)
                        if got == b"" or got.startswith(b"HTTP/1.1 408"):
                            closed_by_server += 1
                            held.append(time.monotonic() - t0)
                            break
                    except asyncio.TimeoutError:
                        pass
            except (ConnectionError, OSError):
                closed_by_server += 1
                held.append(time.monotonic() - t0)
            finally:
                w.close()

    await asyncio.gather(*(one(n) for n in range(args.conns)))
    out = {"conns": args.conns, "seconds": args.seconds, "opened": opened,
           "closed_by_server": closed_by_server,
           "held_p50_s": round(pct(held, 50), 1) if held else None,
           "held_max_s": round(max(held), 1) if held else None}
    json.dump(out, open(args.json, "w"))
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--url", required=True)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--json", required=True)
    p = sub.add_parser("login")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--accounts", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--json", required=True)
    p = sub.add_parser("slowloris")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("--ramp", type=float, default=5)
    p.add_argument("--json", required=True)
    args = ap.parse_args()
    if args.cmd == "probe":
        probe(args)
    elif args.cmd == "login":
        asyncio.run(login(args))
    else:
        asyncio.run(slowloris(args))


if __name__ == "__main__":
    main()
