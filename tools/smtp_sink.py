"""A loopback SMTP server for tests and the mail bench.

Each message that arrives is parsed with Python's `email` module and
written to DIR as one JSON file (headers, the plain and HTML parts
decoded, the envelope), so tests in any language can check it. With
--count-only it only counts (the bench: no disk, no parsing).

    python tools/smtp_sink.py --port 2525 --dir /tmp/mails
    python tools/smtp_sink.py --port 2525 --count-only
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import time

from aiosmtpd.controller import Controller


class Writer:
    def __init__(self, directory):
        self.directory = directory
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype in ("text/plain", "text/html") and ctype not in parts:
                parts[ctype] = part.get_content()
        doc = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        name = os.path.join(self.directory, f"{time.time_ns()}-{self.n:07d}.json")
        tmp = name + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.rename(tmp, name)
        return "250 OK"


class Counter:
    def __init__(self):
        self.n = 0
        self.first = None
        self.last = None

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.last = now
        self.n += 1
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir")
    p.add_argument("--count-only", action="store_true")
    # Exit when this process is gone (end2end/serve.sh: the server it was
    # started beside), so no sink outlives the test run.
    p.add_argument("--watch-pid", type=int)
    a = p.parse_args()
    handler = Counter() if a.count_only else Writer(a.dir)
    if not a.count_only:
        os.makedirs(a.dir, exist_ok=True)
    c = Controller(handler, hostname="127.0.0.1", port=a.port)
    c.start()
    print(f"listening on 127.0.0.1:{a.port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def report(*_):
        if isinstance(handler, Counter) and handler.first is not None:
            span = (handler.last - handler.first) or 1e-9
            print(f"received {handler.n} in {span:.2f}s", flush=True)

    loop.add_signal_handler(signal.SIGUSR1, report)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async def watch(pid):
        while True:
            await asyncio.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                stop.set()
                return

    if a.watch_pid:
        loop.create_task(watch(a.watch_pid))
    loop.run_until_complete(stop.wait())
    report()
    c.stop()


if __name__ == "__main__":
    main()
