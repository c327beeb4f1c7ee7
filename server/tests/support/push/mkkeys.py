#!/usr/bin/env python3
"""Make N browser-side Web Push subscriptions for fakepush.py.

    python mkkeys.py N PORT OUTDIR [--prefix s] [--special gone,notfound]
                     [--scheme http] [--host 127.0.0.1]

Each subscription is a fresh P-256 key pair and a 16-byte auth secret, as a
browser makes them. Writes
  OUTDIR/subs.json           {sid: {"priv": b64url(32 B), "auth": b64url(16 B)}}
                             (the private halves: fakepush.py --keys)
  OUTDIR/subscriptions.json  [PushSubscription.toJSON(), ...]: {"endpoint":
                             "http://127.0.0.1:PORT/push/<sid>", "expirationTime":
                             null, "keys": {"p256dh", "auth"}} (what a browser
                             POSTs to Marquee), base64url without padding.
sids are <prefix>0 .. <prefix>N-1; --special appends one subscription per
listed sid (random keys, not in subs.json: fakepush answers those by name).
"""
import argparse
import base64
import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def keypair():
    k = ec.generate_private_key(ec.SECP256R1())
    priv = k.private_numbers().private_value.to_bytes(32, "big")
    pub = k.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64(priv), b64(pub), b64(os.urandom(16))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("port", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--prefix", default="s")
    ap.add_argument("--special", default="", help="comma-separated sids, e.g. gone,notfound")
    ap.add_argument("--scheme", default="http", choices=["http", "https"])
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()

    os.makedirs(args.outdir, exist_ok=True)
    base = f"{args.scheme}://{args.host}:{args.port}/push/"
    private, public = {}, []
    sids = [f"{args.prefix}{i}" for i in range(args.n)]
    special = [s for s in args.special.split(",") if s]
    for sid in sids + special:
        priv, pub, auth = keypair()
        if sid not in special:
            private[sid] = {"priv": priv, "auth": auth}
        public.append({
            "endpoint": base + sid,
            "expirationTime": None,
            "keys": {"p256dh": pub, "auth": auth},
        })
    for name, obj in (("subs.json", private), ("subscriptions.json", public)):
        tmp = os.path.join(args.outdir, name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(obj, f)
        os.replace(tmp, os.path.join(args.outdir, name))


if __name__ == "__main__":
    main()
