#!/usr/bin/env python3
"""Cold start to the first 200 with a 1,500-session event loaded (issue 13.4).

Generates a C3VOC schedule.json at FOSDEM scale (5 days, 100 rooms, 3
talks a room a day = 1,500 sessions, about 1,200 speakers), imports it with
`marquee import` into a fresh SQLite file, then starts `marquee serve` RUNS
times and measures, for each, the time from the process start to the first
200 on the event's schedule page (and on its status page), polling every
millisecond on loopback.

    bench/startup.py [BINARY] [RUNS]    (default target/release/marquee, 15)

Traffic goes to 127.0.0.1 only. Results: median, p90 and max, in ms.
"""

import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

DAYS, ROOMS, PER_ROOM_DAY = 5, 100, 3


def schedule() -> dict:
    start = dt.date(2027, 2, 1)
    days = []
    speaker = 0
    sid = 0
    for d in range(DAYS):
        date = start + dt.timedelta(days=d)
        rooms = {}
        for r in range(ROOMS):
            room = f"Room {r + 1:03}"
            talks = []
            for k in range(PER_ROOM_DAY):
                sid += 1
                # 1,200 distinct speakers, the rest speak twice.
                speaker = sid if sid <= 1200 else (sid * 7919) % 1200 + 1
                hhmm = f"{10 + 3 * k:02}:00"
                talks.append({
                    "id": sid,
                    "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"marquee-bench/{sid}")),
                    "date": f"{date.isoformat()}T{hhmm}:00+01:00",
                    "start": hhmm,
                    "duration": "00:50",
                    "room": room,
                    "slug": f"bench-{sid}",
                    "url": f"https://example.invalid/talk/{sid}",
                    "title": f"Talk {sid}: on streaming at scale, part {k + 1}",
                    "subtitle": "",
                    "track": f"Track {r % 12 + 1}",
                    "type": "Talk",
                    "language": "en",
                    "abstract": "How the stream stays up when everyone watches at once.",
                    "description": "",
                    "recording_license": "",
                    "do_not_record": False,
                    "persons": [{"id": speaker, "public_name": f"Speaker {speaker}"}],
                    "links": [],
                    "attachments": [],
                })
            rooms[room] = talks
        days.append({
            "index": d + 1,
            "date": date.isoformat(),
            "day_start": f"{date.isoformat()}T06:00:00+01:00",
            "day_end": f"{(date + dt.timedelta(days=1)).isoformat()}T03:00:00+01:00",
            "rooms": rooms,
        })
    return {"schedule": {
        "version": "bench",
        "base_url": "https://example.invalid/",
        "conference": {
            "acronym": "big",
            "title": "Big Conference",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=DAYS - 1)).isoformat(),
            "daysCount": DAYS,
            "time_zone_name": "Europe/Brussels",
            "timeslot_duration": "00:05",
            "rooms": [{"name": f"Room {r + 1:03}"} for r in range(ROOMS)],
            "days": days,
        },
    }}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_200(port: int, path: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.001)
    return False


def main() -> None:
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/marquee"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    tmp = tempfile.mkdtemp(prefix="marquee-startup-")
    src = os.path.join(tmp, "schedule.json")
    with open(src, "w") as f:
        json.dump(schedule(), f)
    env = dict(os.environ, MARQUEE_DATABASE_URL=f"sqlite://{tmp}/big.db", RUST_LOG="warn")
    out = subprocess.run([binary, "import", src, "--event", "big"], env=env, check=True,
                         capture_output=True, text=True)
    print("import:", (out.stdout or out.stderr).strip().splitlines()[0])
    pages, status = [], []
    for _ in range(runs):
        port = free_port()
        e = dict(env, MARQUEE_ADDR=f"127.0.0.1:{port}")
        t0 = time.monotonic()
        p = subprocess.Popen([binary, "serve"], env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            if not first_200(port, "/e/big", t0 + 30):
                sys.exit("no 200 on /e/big within 30 s")
            pages.append((time.monotonic() - t0) * 1000)
            t1 = time.monotonic()
            if not first_200(port, "/e/big/status", t1 + 30):
                sys.exit("no 200 on /e/big/status")
            status.append((time.monotonic() - t0) * 1000)
        finally:
            p.terminate()
            p.wait()

    def line(name, v):
        v = sorted(v)
        p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
        print(f"{name}: median {statistics.median(v):.0f} ms, p90 {p90:.0f} ms, "
              f"max {v[-1]:.0f} ms ({len(v)} runs)")

    print(f"{binary}: 1,500 sessions, {ROOMS} rooms, {DAYS} days, SQLite file")
    line("start → first 200 on /e/big", pages)
    line("start → first 200 on /e/big/status (after the schedule)", status)


if __name__ == "__main__":
    main()
