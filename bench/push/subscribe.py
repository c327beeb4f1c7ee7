#!/usr/bin/env python3
"""POSTs every entry of a subscriptions.json to Marquee's
/api/v1/push/subscriptions, at most --concurrency at a time, as browsers
would one by one; prints one JSON line with the rate and the statuses.

    python subscribe.py --url http://127.0.0.1:3300 --subs subscriptions.json
                        [--event demo] [--concurrency 32] [--retries 5] [--json out.json]

A 5xx or a connection error is tried again (up to --retries times, 0.1 s
apart, jittered); the result counts those retries by status. Exit status 1 when any
subscription was not created in the end.
"""
import argparse
import asyncio
import json
import random
import sys
import time

import aiohttp


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--subs", required=True)
    ap.add_argument("--event", default="demo")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--retries", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()

    with open(args.subs) as f:
        subs = json.load(f)
    url = args.url.rstrip("/") + "/api/v1/push/subscriptions"
    statuses, samples, retried = {}, {}, {}
    it = iter(subs)

    async def worker(session):
        for sub in it:
            body = {"subscription": sub, "event": args.event, "tracks": ["all"],
                    "sessions": [], "lang": "en", "time_zone": "Europe/Berlin"}
            for attempt in range(args.retries + 1):
                try:
                    async with session.post(url, json=body) as r:
                        text = await r.read()
                        status = r.status
                except aiohttp.ClientError as e:
                    status, text = type(e).__name__, str(e).encode()
                if not (isinstance(status, str) or status >= 500) or attempt == args.retries:
                    break
                retried[status] = retried.get(status, 0) + 1
                if status not in samples:
                    samples[status] = text[:300].decode("utf-8", "replace")
                await asyncio.sleep(0.05 + 0.1 * random.random())
            statuses[status] = statuses.get(status, 0) + 1
            if status != 201 and status not in samples:
                samples[status] = text[:300].decode("utf-8", "replace")

    conn = aiohttp.TCPConnector(limit=args.concurrency)
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=conn) as session:
        await asyncio.gather(*(worker(session) for _ in range(args.concurrency)))
    seconds = time.perf_counter() - t0
    ok = statuses.get(201, 0)
    result = {"n": len(subs), "created": ok, "statuses": {str(k): v for k, v in statuses.items()},
              "retried": {str(k): v for k, v in retried.items()},
              "samples": {str(k): v for k, v in samples.items()}, "concurrency": args.concurrency,
              "seconds": round(seconds, 3), "per_s": round(ok / seconds) if seconds else None}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)
    print(json.dumps(result))
    sys.exit(0 if ok == len(subs) else 1)


if __name__ == "__main__":
    asyncio.run(main())
