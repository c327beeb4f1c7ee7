"""A loopback stand-in for Mozilla's push service, so a REAL Firefox ESR can
subscribe and receive Web Push with no network (end2end/push/firefox.mjs).

 - ws://127.0.0.1:PORT/     Firefox's push WebSocket protocol (hello,
                            register, unregister, notification, ack, ping).
 - POST /push/<channelID>   the RFC 8030 endpoint Firefox hands to pages. It
                            checks what a real push service checks of the
                            sender — VAPID (RFC 8292: ES256 JWT signed by the
                            key in `k`, exp within 24 h, aud = this origin,
                            sub mailto:/https:), TTL, aes128gcm — and then
                            forwards the still-encrypted body: Firefox
                            decrypts it itself, so a wrong RFC 8291
                            encryption shows up as a push that never arrives.
 - GET /log                 everything seen, as JSON (tests assert on it).
 - GET /healthz             "ok" once listening.

Firefox prefs: dom.push.serverURL=ws://127.0.0.1:PORT/ and
dom.push.testing.allowInsecureServerURL=true.

Usage: python fakemoz.py PORT   (needs aiohttp and cryptography)
"""
import base64
import json
import sys
import time
import uuid

from aiohttp import WSMsgType, web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

CONN = {}  # uaid -> open WebSocket
CHAN = {}  # channelID -> uaid
LOG = []   # [direction, message] pairs; "push" entries describe POSTs


def b64d(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_vapid(auth_hdr, origin):
    """Verifies `Authorization: vapid t=<JWT>, k=<key>`; returns the claims or raises."""
    if not auth_hdr or not auth_hdr.lower().startswith("vapid "):
        raise ValueError("missing 'vapid' Authorization")
    params = dict(p.strip().split("=", 1) for p in auth_hdr[6:].split(","))
    t, k = params["t"], params["k"]
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
    h64, p64, s64 = t.split(".")
    hdr, claims, sig = json.loads(b64d(h64)), json.loads(b64d(p64)), b64d(s64)
    if hdr.get("alg") != "ES256" or len(sig) != 64:
        raise ValueError(f"bad JWT header {hdr} or signature length {len(sig)}")
    # JWS ES256 signatures are raw r||s; cryptography wants DER.
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, f"{h64}.{p64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or not (now < exp <= now + 24 * 3600 + 60):
        raise ValueError(f"exp out of range: {exp!r} (now {now:.0f})")
    # RFC 8292: aud is the push resource's origin, port included. Some senders
    # (Rust web-push) drop the port; accept that but say so in the log.
    aud = claims.get("aud")
    if aud not in (origin, origin.rsplit(":", 1)[0]):
        raise ValueError(f"aud {aud!r} != {origin!r}")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError(f"bad sub {claims.get('sub')!r}")
    return {**claims, "k": k, "aud_has_port": aud == origin}


async def ws_handler(req):
    ws = web.WebSocketResponse(protocols=("push-notification",))
    await ws.prepare(req)
    uaid = None
    async for m in ws:
        if m.type != WSMsgType.TEXT:
            continue
        msg = json.loads(m.data)
        t = msg.get("messageType")
        LOG.append(["in", msg])
        if not t:  # Firefox's keep-alive ping is "{}"
            await ws.send_str("{}")
            continue
        if t == "hello":
            uaid = msg.get("uaid") or uuid.uuid4().hex
            CONN[uaid] = ws
            out = {"messageType": "hello", "uaid": uaid, "status": 200,
                   "use_webpush": True, "broadcasts": {}}
        elif t == "register":
            ch = msg["channelID"]
            CHAN[ch] = uaid
            out = {"messageType": "register", "channelID": ch, "status": 200,
                   "pushEndpoint": f"http://{req.host}/push/{ch}"}
        elif t == "unregister":
            CHAN.pop(msg["channelID"], None)
            out = {"messageType": "unregister", "channelID": msg["channelID"], "status": 200}
        else:  # ack, nack, broadcast_subscribe: nothing to answer
            continue
        LOG.append(["out", out])
        await ws.send_str(json.dumps(out))
    if uaid and CONN.get(uaid) is ws:
        CONN.pop(uaid, None)
    return ws


def refuse(ch, status, errno, message):
    LOG.append(["push", {"channel": ch, "status": status, "vapid": False, "error": message}])
    return web.json_response({"code": status, "errno": errno, "error": "fakemoz", "message": message},
                             status=status)


async def push(req):
    ch = req.match_info["ch"]
    if ch not in CHAN:  # unsubscribed (or never was): the sender should drop it
        return refuse(ch, 410, 106, "unknown channel")
    origin = f"{req.scheme}://{req.host}"
    try:
        claims = check_vapid(req.headers.get("Authorization"), origin)
    except Exception as e:  # InvalidSignature, or a malformed header: the sender's fault
        return refuse(ch, 401, 109, f"vapid: {e!r}")
    if "TTL" not in req.headers:
        return refuse(ch, 400, 111, "missing TTL header")
    if req.headers.get("Content-Encoding") != "aes128gcm":
        return refuse(ch, 415, 110, "Content-Encoding must be aes128gcm")
    body = await req.read()
    if len(body) > 4096:
        return refuse(ch, 413, 104, f"payload too large ({len(body)} bytes)")
    entry = {"channel": ch, "status": 201, "vapid": True, "aud": claims.get("aud"),
             "aud_has_port": claims["aud_has_port"], "sub": claims.get("sub"),
             "exp_in": round(claims["exp"] - time.time()), "ttl": req.headers.get("TTL"),
             "urgency": req.headers.get("Urgency"), "topic": req.headers.get("Topic"),
             "len": len(body), "delivered": False}
    LOG.append(["push", entry])
    ws = CONN.get(CHAN[ch])
    if ws is None:  # a real service would keep it for TTL seconds
        entry["status"] = 202
        return web.Response(status=202)
    note = {"messageType": "notification", "channelID": ch, "version": uuid.uuid4().hex,
            "ttl": int(req.headers.get("TTL", 0)),
            "data": base64.urlsafe_b64encode(body).rstrip(b"=").decode(),
            "headers": {"encoding": "aes128gcm"}}
    await ws.send_str(json.dumps(note))
    entry["delivered"] = True
    LOG.append(["out", {k: v for k, v in note.items() if k != "data"}])
    return web.Response(status=201, headers={"Location": f"{origin}/m/{note['version']}"})


async def log(req):
    return web.json_response(LOG, dumps=lambda o: json.dumps(o, default=str))


async def healthz(req):
    return web.Response(text="ok")


if __name__ == "__main__":
    app = web.Application(client_max_size=8192)
    app.add_routes([web.get("/", ws_handler), web.post("/push/{ch}", push),
                    web.get("/log", log), web.get("/healthz", healthz)])
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None,
                shutdown_timeout=1)
