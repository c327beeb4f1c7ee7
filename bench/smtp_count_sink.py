"""A loopback SMTP sink for the mail bench that only counts (stdlib only).

tools/smtp_sink.py (aiosmtpd) parses every command through a general
SMTP state machine in one process; at a few thousand messages a second
that sink, not Marquee, is what gets measured. This one speaks just
enough SMTP for a client that behaves (greeting, EHLO/HELO, MAIL, RCPT,
DATA up to the lone dot, NOOP, RSET, QUIT; anything else gets 250), and
runs WORKERS processes on one port (SO_REUSEPORT: the kernel spreads the
connections over them). It never parses a message.

    python3 bench/smtp_count_sink.py --port 3321 --workers 2

On SIGTERM or SIGINT each worker reports its count and the parent prints
one last line: `received N in S s (first to last message)`. With
--watch-pid it also stops when that process is gone.
"""

import argparse
import asyncio
import os
import signal
import socket
import sys
import time

GREETING = b"220 sink ESMTP\r\n"
EHLO = b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"
OK = b"250 OK\r\n"
DATA = b"354 go ahead\r\n"
BYE = b"221 bye\r\n"
END = b"\r\n.\r\n"


class Stats:
    n = 0
    first = 0.0
    last = 0.0


class Smtp(asyncio.Protocol):
    def connection_made(self, transport):
        self.t = transport
        self.buf = bytearray()
        self.in_data = False
        # Where the search for the end of DATA resumes (the dot may
        # straddle two reads).
        self.scan = 0
        transport.write(GREETING)

    def data_received(self, chunk):
        buf = self.buf
        buf += chunk
        out = []
        while True:
            if self.in_data:
                # The terminator ends the message; a message that is only
                # ".\r\n" right after DATA also ends it.
                if self.scan == 0 and buf.startswith(b".\r\n"):
                    end, skip = 0, 3
                else:
                    end = buf.find(END, max(self.scan - 4, 0))
                    skip = 5
                if end < 0:
                    self.scan = len(buf)
                    break
                del buf[: end + skip]
                self.in_data = False
                self.scan = 0
                now = time.monotonic()
                if Stats.n == 0:
                    Stats.first = now
                Stats.last = now
                Stats.n += 1
                out.append(OK)
                continue
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line = bytes(buf[:4]).upper()
            del buf[: nl + 1]
            if line.startswith(b"EHLO"):
                out.append(EHLO)
            elif line.startswith(b"DATA"):
                out.append(DATA)
                self.in_data = True
                self.scan = 0
            elif line.startswith(b"QUIT"):
                out.append(BYE)
                self.t.write(b"".join(out))
                self.t.close()
                return
            else:
                out.append(OK)
        if out:
            self.t.write(b"".join(out))


def worker(port, report_fd, watch_pid):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)

    async def main():
        server = await loop.create_server(Smtp, sock=sock)
        if watch_pid:
            async def watch():
                while True:
                    await asyncio.sleep(0.5)
                    try:
                        os.kill(watch_pid, 0)
                    except ProcessLookupError:
                        stop.set()
                        return
            loop.create_task(watch())
        await stop.wait()
        server.close()

    loop.run_until_complete(main())
    os.write(report_fd, f"{Stats.n} {Stats.first} {Stats.last}\n".encode())
    os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--watch-pid", type=int)
    a = p.parse_args()
    r, w = os.pipe()
    children = []
    for _ in range(max(a.workers, 1)):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            worker(a.port, w, a.watch_pid)
        children.append(pid)
    os.close(w)
    print(f"listening on 127.0.0.1:{a.port} with {len(children)} workers", flush=True)

    def forward(signum, _frame):
        for c in children:
            try:
                os.kill(c, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for c in children:
        while True:
            try:
                os.waitpid(c, 0)
                break
            except InterruptedError:
                continue
    lines = os.read(r, 1 << 16).decode().split()
    n, first, last = 0, None, None
    for i in range(0, len(lines), 3):
        k, f, l = int(lines[i]), float(lines[i + 1]), float(lines[i + 2])
        if k:
            n += k
            first = f if first is None else min(first, f)
            last = l if last is None else max(last, l)
    span = (last - first) if n else 0.0
    print(f"received {n} in {span:.2f}s (first to last message)", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
