#!/usr/bin/env python3
"""A loopback RFC 8030 push service for Marquee's integration tests.

    python fakepush.py --port P --keys DIR/subs.json [--vapid-pub B64] [--fast]

It checks each push the way a real push service would, and independently of
the Rust code under test: the payload is decrypted with Python's `http_ece`
(RFC 8188/8291) using the subscription's private key, and the VAPID JWT
(RFC 8292) is verified with `cryptography`.

POST /push/{sid}
    Needs a `TTL` header (integer >= 0), `Content-Encoding: aes128gcm`, an
    `Authorization: vapid t=<JWT>, k=<key>` whose ES256 signature verifies
    with k (and k == --vapid-pub when given), `exp` in the future and at most
    24 h away, `aud` = the push service's origin (with or without the port:
    which one is recorded as `aud_port`), `sub` mailto: or https:. `Urgency`
    and `Topic`, if present, must be valid (RFC 8030 §5.3, §5.4), and the
    body at most 4096 bytes. Accepted: 201 with a Location, and the message
    goes to the sid's inbox as
    {data, ttl, urgency, topic, aud, aud_port, sub, len, at (unix seconds)}.
    Special sids: `gone` -> 410, `notfound` -> 404 (also `gone-*`,
    `notfound-*`), `redirect` -> 307 to --redirect-to (a sender must not
    follow it). Any other sid not in the keys file -> 404.
    Scripted statuses queued with /control come first (see below).
    Invalid requests (VAPID, headers, decryption, size, unknown sid) are
    answered 400/401/403/404/413/415 and recorded in `errors`: a correct
    sender never causes one, so tests assert `errors == []`.
POST /control/{sid}  {"statuses": [503, 429], "retry_after": "2"}
    The next pushes to sid get these statuses, in order (with Retry-After on
    each when given); then normal handling resumes. Answers {"queued": n}.
DELETE /control/{sid}  clears the queue.
GET /inbox/{sid}  -> JSON list of the messages accepted for sid.
GET /stats        -> {"ok", "bad", "attempts": {sid: n}, "errors": [last 50],
                      "first_at", "last_at"} (first/last accepted message).
GET /healthz      -> 200.

--fast skips decryption (everything else is still checked; `data` is null).
--latency-ms N answers each push N ms after it arrives, as a real push
service across the internet does (tens of ms): a burst then lasts long enough
for tests that need it to be shared or interrupted, whatever the sender's speed.
Prints exactly one line, `fakepush listening on P`, once it accepts
connections (with --port 0, P is the port it got). Errors go to stderr.
"""
import argparse
import asyncio
import base64
import binascii
import json
import os
import re
import signal
import sys
import time
from collections import deque

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_BODY = 4096  # RFC 8291 §4: push services accept at least 4096 octets
URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64d(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Reject(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


class Service:
    def __init__(self, keys_path, vapid_pub, fast, redirect_to=None, latency=0.0):
        self.redirect_to = redirect_to
        self.latency = latency
        self.keys_path = keys_path
        self.vapid_pub = vapid_pub
        self.fast = fast
        self.subs = {}
        self.keys_mtime = None
        self.priv = {}  # sid -> EllipticCurvePrivateKey, built on first use
        self.jwt_ok = {}  # (t, k) -> claims whose signature verified
        self.inbox = {}
        self.control = {}  # sid -> deque of (status, retry_after)
        self.ok = 0
        self.bad = 0
        self.attempts = {}
        self.errors = deque(maxlen=50)
        self.first_at = None
        self.last_at = None
        self.load_keys()

    def load_keys(self):
        try:
            mtime = os.stat(self.keys_path).st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self.keys_mtime:
            return
        with open(self.keys_path) as f:
            self.subs = json.load(f)
        self.keys_mtime = mtime
        self.priv.clear()

    def private_key(self, sid):
        k = self.priv.get(sid)
        if k is None:
            d = int.from_bytes(b64d(self.subs[sid]["priv"]), "big")
            k = self.priv[sid] = ec.derive_private_key(d, ec.SECP256R1())
        return k

    def reject(self, sid, status, msg):
        self.bad += 1
        text = f"POST /push/{sid}: {status} {msg}"
        self.errors.append(text)
        print(f"fakepush: {text}", file=sys.stderr, flush=True)
        return web.json_response(
            {"code": status, "errno": 999, "error": "fakepush", "message": msg}, status=status
        )

    def check_vapid(self, header, origin):
        if not header or not header[:6].lower() == "vapid ":
            raise Reject(401, "Authorization is not `vapid t=..., k=...`")
        try:
            params = dict(p.strip().split("=", 1) for p in header[6:].split(","))
            t, k = params["t"], params["k"]
        except (ValueError, KeyError):
            raise Reject(401, f"cannot parse Authorization {header[:80]!r}")
        if self.vapid_pub and k != self.vapid_pub:
            raise Reject(403, f"k {k!r} is not the expected application server key")
        claims = self.jwt_ok.get((t, k))
        if claims is None:
            try:
                raw_k = b64d(k)
                if len(raw_k) != 65 or raw_k[0] != 4:
                    raise Reject(401, f"k is not an uncompressed P-256 point ({len(raw_k)} bytes)")
                pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw_k)
                h64, p64, s64 = t.split(".")
                hdr, claims, sig = json.loads(b64d(h64)), json.loads(b64d(p64)), b64d(s64)
            except Reject:
                raise
            except (ValueError, binascii.Error, UnicodeDecodeError) as e:
                raise Reject(401, f"malformed JWT or key: {e}")
            if not isinstance(hdr, dict) or hdr.get("alg") != "ES256":
                raise Reject(401, f"JWT header {hdr!r} is not alg ES256")
            if len(sig) != 64:
                raise Reject(401, f"JWT signature is {len(sig)} bytes, not raw r||s (64)")
            if not isinstance(claims, dict):
                raise Reject(401, "JWT claims are not an object")
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            try:
                pub.verify(der, f"{h64}.{p64}".encode(), ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                raise Reject(401, "JWT signature does not verify with k")
            if len(self.jwt_ok) > 10000:
                self.jwt_ok.clear()
            self.jwt_ok[(t, k)] = claims
        exp = claims.get("exp")
        now = time.time()
        if not isinstance(exp, (int, float)):
            raise Reject(403, f"JWT exp {exp!r} is not a number")
        if exp <= now:
            raise Reject(403, f"JWT expired {now - exp:.0f} s ago")
        if exp > now + 24 * 3600 + 60:
            raise Reject(403, f"JWT exp is {(exp - now) / 3600:.1f} h away (> 24 h)")
        aud = claims.get("aud")
        port_less = re.sub(r":\d+$", "", origin)
        if aud == origin:
            aud_port = origin != port_less
        elif aud == port_less:
            aud_port = False
        else:
            raise Reject(403, f"JWT aud {aud!r} is not the push origin {origin!r}")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise Reject(403, f"JWT sub {sub!r} is not mailto: or https:")
        return claims, aud_port

    async def push(self, req):
        sid = req.match_info["sid"]
        self.attempts[sid] = self.attempts.get(sid, 0) + 1
        if sid == "gone" or sid.startswith("gone-"):
            return web.json_response({"code": 410, "errno": 106, "message": "gone"}, status=410)
        if sid == "notfound" or sid.startswith("notfound-"):
            return web.json_response({"code": 404, "errno": 102, "message": "not found"}, status=404)
        if (sid == "redirect" or sid.startswith("redirect-")) and self.redirect_to:
            return web.Response(status=307, headers={"Location": self.redirect_to})
        if sid not in self.subs:
            self.load_keys()
            if sid not in self.subs:
                return self.reject(sid, 404, "unknown subscription id")
        queue = self.control.get(sid)
        if queue:
            status, retry_after = queue.popleft()
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return web.json_response({"code": status, "message": "scripted"}, status=status, headers=headers)
        try:
            body = await req.read()
        except web.HTTPRequestEntityTooLarge:
            return self.reject(sid, 413, "body too large")
        if self.latency:
            await asyncio.sleep(self.latency)
        origin = f"{req.scheme}://{req.host}"
        try:
            ttl = req.headers.get("TTL")
            if ttl is None:
                raise Reject(400, "missing TTL header")
            if not re.fullmatch(r"[0-9]+", ttl.strip()):
                raise Reject(400, f"TTL {ttl!r} is not a non-negative integer")
            urgency = req.headers.get("Urgency")
            if urgency is not None and urgency not in URGENCIES:
                raise Reject(400, f"Urgency {urgency!r} is not one of {sorted(URGENCIES)}")
            topic = req.headers.get("Topic")
            if topic is not None and not TOPIC_RE.match(topic):
                raise Reject(400, f"Topic {topic!r} is not <= 32 base64url characters")
            if len(body) > MAX_BODY:
                raise Reject(413, f"body is {len(body)} bytes (> {MAX_BODY})")
            if not body:
                raise Reject(400, "empty body (Marquee always sends a payload)")
            claims, aud_port = self.check_vapid(req.headers.get("Authorization"), origin)
            encoding = req.headers.get("Content-Encoding")
            if encoding != "aes128gcm":
                raise Reject(415, f"Content-Encoding {encoding!r} is not aes128gcm")
            data = None
            if not self.fast:
                import http_ece  # imported here so that start-up stays quick

                try:
                    pt = http_ece.decrypt(
                        body,
                        private_key=self.private_key(sid),
                        auth_secret=b64d(self.subs[sid]["auth"]),
                        version="aes128gcm",
                    )
                except Exception as e:  # noqa: BLE001 - any failure is the sender's
                    raise Reject(400, f"decryption failed: {e!r}")
                try:
                    data = pt.decode("utf-8")
                except UnicodeDecodeError:
                    raise Reject(400, "decrypted payload is not UTF-8")
        except Reject as r:
            return self.reject(sid, r.status, str(r))
        now = time.time()
        self.ok += 1
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.inbox.setdefault(sid, []).append({
            "data": data, "ttl": int(ttl), "urgency": urgency, "topic": topic,
            "aud": claims.get("aud"), "aud_port": aud_port, "sub": claims.get("sub"),
            "len": len(body), "at": now,
        })
        return web.Response(status=201, headers={"Location": f"{origin}/msg/{sid}/{self.ok}"})

    async def set_control(self, req):
        sid = req.match_info["sid"]
        try:
            spec = await req.json()
            statuses = [int(s) for s in spec["statuses"]]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": 'want {"statuses": [503, ...], "retry_after": "2"}'}, status=400)
        retry_after = spec.get("retry_after")
        queue = self.control.setdefault(sid, deque())
        queue.extend((s, retry_after) for s in statuses)
        return web.json_response({"queued": len(queue)})

    async def clear_control(self, req):
        self.control.pop(req.match_info["sid"], None)
        return web.json_response({"queued": 0})

    async def get_inbox(self, req):
        return web.json_response(self.inbox.get(req.match_info["sid"], []))

    async def stats(self, req):
        return web.json_response({
            "ok": self.ok, "bad": self.bad, "attempts": self.attempts,
            "errors": list(self.errors), "first_at": self.first_at, "last_at": self.last_at,
        })

    async def healthz(self, req):
        return web.Response(text="ok")


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--keys", required=True, help="subs.json from mkkeys.py")
    ap.add_argument("--vapid-pub", help="expected VAPID public key (base64url)")
    ap.add_argument("--fast", action="store_true", help="skip decryption")
    ap.add_argument("--cert", help="serve https with this certificate (PEM) ...")
    ap.add_argument("--key", help="... and this private key (PEM)")
    ap.add_argument("--redirect-to", help="where the `redirect` sid's 307 points")
    ap.add_argument("--latency-ms", type=float, default=0, help="answer each push this late")
    args = ap.parse_args()

    svc = Service(args.keys, args.vapid_pub, args.fast, args.redirect_to, args.latency_ms / 1000)
    app = web.Application(client_max_size=64 * 1024)
    app.add_routes([
        web.post("/push/{sid}", svc.push),
        web.post("/control/{sid}", svc.set_control),
        web.delete("/control/{sid}", svc.clear_control),
        web.get("/inbox/{sid}", svc.get_inbox),
        web.get("/stats", svc.stats),
        web.get("/healthz", svc.healthz),
    ])
    ssl_ctx = None
    if args.cert:
        import ssl

        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(args.cert, args.key or args.cert)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, ssl_context=ssl_ctx, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"fakepush listening on {port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
