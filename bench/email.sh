#!/usr/bin/env bash
# E-mail burst: N confirmed e-mail subscribers (default 100,000) told of
# one schedule shift, delivered over SMTP to a loopback sink that only
# counts: bench/smtp_count_sink.py (stdlib asyncio, SINK_WORKERS processes
# on one port with SO_REUSEPORT), or with SINK=aiosmtpd the tests' sink
# (tools/smtp_sink.py --count-only, one aiosmtpd process: slower than
# Marquee, so it is what gets measured).
# Measures messages per second and the time from the shift's POST to the
# last mail accepted by the sink (read from email_delivery.updated_at and
# the sink's own count).
#
#   bench/email.sh                     # N=100000
#   N=5000 bench/email.sh              # a quick one
#   MAIL_CONNECTIONS=64 bench/email.sh
#   SINK=aiosmtpd N=20000 bench/email.sh
#
# Needs: sqlite3, curl, tools/venv with aiosmtpd (scripts/setup.sh test),
# a built server: $MARQUEE_BIN, else target/release/marquee, else
# target/debug/marquee. Results in $OUT/summary.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
PORT=${MARQUEE_PORT:-3320}
SMTP_PORT=${SMTP_PORT:-3321}
MAIL_CONNECTIONS=${MAIL_CONNECTIONS:-32}
SINK_KIND=${SINK:-count}
SINK_WORKERS=${SINK_WORKERS:-2}
TIMEOUT=${TIMEOUT:-900}
PY=${PYTHON:-$ROOT/tools/venv/bin/python}
# Tomorrow: every demo session is still ahead, so the delay notice stays
# worth delivering for hours (see bench/push.sh).
DEMO_DATE=${DEMO_DATE:-$(TZ=Europe/Moscow date -d tomorrow +%F)}
BIN=${MARQUEE_BIN:-}
[[ -z $BIN && -x $ROOT/target/release/marquee ]] && BIN=$ROOT/target/release/marquee
[[ -z $BIN ]] && BIN=$ROOT/target/debug/marquee
OUT=${OUT:-/tmp/bench/email-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
DBFILE=$OUT/bench.db
export MARQUEE_DATABASE_URL="sqlite://$DBFILE"

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

log "binary $BIN, N=$N, $MAIL_CONNECTIONS SMTP connections, sink $SINK_KIND, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" demo --date "$DEMO_DATE" >/dev/null
TOKEN=$("$BIN" token create --name bench)
log "inserting $N confirmed subscribers"
now=$(date +%s)
sqlite3 "$DBFILE" <<SQL
with recursive n(i) as (select 1 union all select i + 1 from n where i < $N)
insert into email_subscriber (event_id, address, all_tracks, tracks_json, lang, time_zone,
  confirmed_at, created_at, updated_at)
select (select event_id from event where slug = 'demo'), 'sub' || i || '@bench.example',
  1, '[]', case i % 4 when 0 then 'en' when 1 then 'ru' when 2 then 'zh' else 'fr' end,
  'Europe/Berlin', $now, $now, $now from n;
SQL

if [[ $SINK_KIND == aiosmtpd ]]; then
  "$PY" "$ROOT/tools/smtp_sink.py" --port "$SMTP_PORT" --count-only >"$OUT/sink.log" 2>&1 &
else
  python3 "$ROOT/bench/smtp_count_sink.py" --port "$SMTP_PORT" --workers "$SINK_WORKERS" >"$OUT/sink.log" 2>&1 &
fi
pids+=($!)
SINK=$!
sleep 1
MARQUEE_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT?tls=none" \
MARQUEE_MAIL_CONNECTIONS=$MAIL_CONNECTIONS \
MARQUEE_PUBLIC_URL="http://127.0.0.1:$PORT" \
RUST_LOG=warn "$BIN" serve --addr "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

log "shifting track 1 by 30 minutes"
t0=$(date +%s.%N)
curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/events/demo/shifts" \
  -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "{\"tracks\": [\"all\"], \"from\": \"17:00\", \"date\": \"$DEMO_DATE\", \"by_minutes\": 30, \"reason\": \"bench\"}" \
  >"$OUT/shift.json"

sent=0
while true; do
  sent=$(sqlite3 "$DBFILE" "select count(*) from email_delivery where state = 'sent'" 2>/dev/null || echo "$sent")
  (( sent >= N )) && break
  if (( $(date +%s) - ${t0%.*} > TIMEOUT )); then log "timeout with $sent sent"; break; fi
  sleep 0.5
done
t1=$(date +%s.%N)
kill -TERM "$SINK"; sleep 1
first_last=$(sqlite3 "$DBFILE" "select min(updated_at), max(updated_at) from email_delivery where state = 'sent'")
elapsed=$(echo "$t1 - $t0" | bc -l)
rate=$(echo "$sent / $elapsed" | bc -l)
{
  echo "subscribers: $N   sent: $sent   SMTP connections: $MAIL_CONNECTIONS   sink: $SINK_KIND ($SINK_WORKERS workers)"
  echo "binary: $BIN   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
  printf 'time to last (POST to last recorded send, 0.5 s polling): %.1f s\n' "$elapsed"
  printf 'messages/s (sent / time to last): %.0f\n' "$rate"
  echo "first and last send (unix s): $first_last"
  echo "sink: $(tail -1 "$OUT/sink.log")"
} | tee "$OUT/summary.txt"
