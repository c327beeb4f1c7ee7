#!/usr/bin/env bash
# Monitors at scale: 500 monitors at a 30 s interval against a loopback
# target; the server's CPU and memory, and the delay from a target failing
# to the component changing on an open page (SSE). See bench/monitors.py.
#
#   bench/monitors.sh                     # 500 monitors, 120 s sampled, 5 flips
#   MONITORS=100 DURATION=60 FLIPS=2 bench/monitors.sh
#
# Needs a built server: $MARQUEE_BIN, else target/release/marquee, else
# target/debug/marquee. Starts it on $PORT with a fresh SQLite file and the
# demo event; prints the JSON result and keeps it in $OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-3313}
MONITORS=${MONITORS:-500}
INTERVAL=${INTERVAL:-30}
DURATION=${DURATION:-120}
FLIPS=${FLIPS:-5}
OUT=${OUT:-/tmp/bench/monitors-$(date -u +%Y%m%dT%H%M%S)}
BIN=${MARQUEE_BIN:-}
if [ -z "$BIN" ]; then
  for b in "$ROOT/target/release/marquee" "$ROOT/target/debug/marquee"; do
    [ -x "$b" ] && BIN=$b && break
  done
fi
[ -n "$BIN" ] || { echo "no marquee binary: make build" >&2; exit 1; }
mkdir -p "$OUT"
export MARQUEE_DATABASE_URL="sqlite://$OUT/bench.db"
export MARQUEE_SITE_ROOT=${MARQUEE_SITE_ROOT:-$ROOT/target/site}
export MARQUEE_MONITOR_ALLOW_LOOPBACK=1
export MARQUEE_SSE_PER_IP=10000
"$BIN" demo >/dev/null
TOKEN=$("$BIN" token create --name bench 2>/dev/null | tail -1)
"$BIN" serve --addr "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done
python3 "$ROOT/bench/monitors.py" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --pid "$PID" \
  --monitors "$MONITORS" --interval "$INTERVAL" --duration "$DURATION" --flips "$FLIPS" \
  | tee "$OUT/result.json"
