"""A loopback webhook receiver for the tests and the bench: records every
POST (path, headers, raw body) and answers with the statuses it was told
to for that path (then 200). Prints its port on the first line.

  POST /_control {"path": "/x", "statuses": [500, 200]}
  GET  /_log      every request so far, oldest first
  GET  /_count    how many requests so far
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []
PLAN = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"{}"):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            if self.path == "/_log":
                return self.reply(200, json.dumps(LOG).encode())
            if self.path == "/_count":
                return self.reply(200, str(len(LOG)).encode())
        self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path == "/_control":
            plan = json.loads(raw)
            with LOCK:
                PLAN[plan["path"]] = list(plan["statuses"])
            return self.reply(200)
        with LOCK:
            queue = PLAN.get(self.path) or []
            status = queue.pop(0) if queue else 200
            LOG.append({
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": raw.decode("utf-8"),
                "status": status,
                "at": time.time(),
            })
        if self.path.endswith("/sendMessage"):
            # Telegram answers {"ok": true, "result": {...}}.
            body = json.dumps({"ok": status == 200, "result": {"message_id": len(LOG)}})
            return self.reply(status, body.encode())
        self.reply(status, b"ok" if status == 200 else b"receiver says no")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
