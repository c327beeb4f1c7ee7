#!/usr/bin/env bash
# Web Push burst: how fast Marquee delivers one schedule shift to N
# subscribers (default 100,000), beside Node's `web-push` sending the same
# burst to the same receiver in the same run.
#
# The receiver is nginx on loopback answering 201 to every POST /push/...
# (plain http on $SINK_HTTP_PORT, https with a throw-away CA on
# $SINK_HTTPS_PORT), logging `$msec $server_protocol $request_uri $status`;
# deliveries are counted and timed from that log, the same way for both
# senders. Node's web-push speaks https only, so both are compared on https.
#
#   bench/push.sh                        # N=100000: Node, then Marquee (https, then http)
#   N=2000 bench/push.sh                 # a quick one
#   SKIP_NODE=1 / SKIP_MARQUEE=1 / SKIP_MARQUEE_HTTP=1 bench/push.sh
#
# Needs: nginx (Debian: apt-get install nginx-light), openssl, node + npm,
# tools/venv (scripts/setup.sh test), and a built server (make build) for the
# Marquee half: $MARQUEE_BIN, else target/release/marquee, else
# target/debug/marquee. Without a server binary the Node half still runs.
# Results: $OUT/results.json and $OUT/summary.txt (default /tmp/bench/push-<time>).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/push
N=${N:-100000}
NODE_CONCURRENCY=${NODE_CONCURRENCY:-64}
SUB_CONCURRENCY=${SUB_CONCURRENCY:-32}
SUB_RETRIES=${SUB_RETRIES:-5}        # a 5xx answer to a subscription is tried again this often
MARQUEE_PORT=${MARQUEE_PORT:-3300}
SINK_HTTP_PORT=${SINK_HTTP_PORT:-3301}
SINK_HTTPS_PORT=${SINK_HTTPS_PORT:-3302}
SINK_HTTP2=${SINK_HTTP2:-1}          # offer h2 by ALPN on the https port, as push services do
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-600}
QUIET_MAX=${QUIET_MAX:-300}          # seconds to wait for the machine to calm down
QUIET_BUSY=${QUIET_BUSY:-30}         # "quiet" = CPU busy below this percent
# The demo runs 17:00-22:00 Moscow time; on tomorrow's date every session is
# still ahead, so the delay notice is worth delivering for hours (a notice
# expires when the first moved session starts: on today's date, late in the
# day, its TTL would shrink to the 60 s minimum).
DEMO_DATE=${DEMO_DATE:-$(TZ=Europe/Moscow date -d tomorrow +%F)}
SHIFT_FROM=${SHIFT_FROM:-17:00}
PY=${PYTHON:-$ROOT/tools/venv/bin/python}
OUT=${OUT:-/tmp/bench/push-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/sink/access.log
URL=http://127.0.0.1:$MARQUEE_PORT

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v nginx >/dev/null || die "nginx is not installed (apt-get install nginx-light)"
command -v openssl >/dev/null || die "openssl is not installed"
command -v node >/dev/null || die "node is not installed"
"$PY" -c 'import aiohttp, cryptography' 2>/dev/null || die "$PY lacks aiohttp/cryptography (scripts/setup.sh test)"
if [[ ! -d $HERE/node_modules/web-push ]]; then
  log "npm ci in bench/push (web-push)"
  (cd "$HERE" && npm ci --no-audit --no-fund >/dev/null)
fi

BIN=
if [[ -z ${SKIP_MARQUEE:-} ]]; then
  for b in "${MARQUEE_BIN:-}" "$ROOT/target/release/marquee" "$ROOT/target/debug/marquee"; do
    [[ -n $b && -x $b ]] && { BIN=$b; break; }
  done
  [[ -n $BIN ]] || log "WARNING: no Marquee binary (target/release or target/debug): Node half only"
fi

NGINX_PID= SERVER_PID=
stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
cleanup() {
  stop_server
  if [[ -n $NGINX_PID ]]; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=quiet.sh
source "$(dirname "$0")/quiet.sh"
# CPU seconds (user + system) a process has used so far
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sub_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# Waits until the sink's log has not grown for 3 s (at most 2 min).
wait_log_idle() {
  local a b start=$SECONDS
  b=$(stat -c %s "$LOG")
  while (( SECONDS - start < 120 )); do
    sleep 3; a=$b; b=$(stat -c %s "$LOG")
    [[ $a == "$b" ]] && return
  done
  log "WARNING: the sink's log is still growing"
}

# --- machine --------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "nproc: $(nproc)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
  echo "kernel: $(uname -r)"
  echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- app server || echo ' (+ uncommitted changes in app/ server/)')"
  [[ -n $BIN ]] && echo "binary: $BIN ($(stat -c '%y' "$BIN" | cut -d. -f1))"
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2); openssl: $(openssl version | cut -d' ' -f2); node: $(node --version); web-push: $(node -p "require('$HERE/node_modules/web-push/package.json').version"); python: $("$PY" -V | cut -d' ' -f2)"
  echo "N: $N; node concurrency: $NODE_CONCURRENCY; subscribe concurrency: $SUB_CONCURRENCY; sink h2: $SINK_HTTP2"
} | tee "$OUT/machine.txt" >&2

# --- TLS: a throw-away CA and a leaf for 127.0.0.1 --------------------------------
# (a separate CA, not one self-signed leaf: rustls/webpki refuse a CA
# certificate presented as the server's own)
TLS=$OUT/tls
mkdir -p "$TLS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=Marquee bench CA" -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=127.0.0.1" -keyout "$TLS/leaf.key" -out "$TLS/leaf.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$TLS/leaf.ext"
openssl x509 -req -in "$TLS/leaf.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial \
  -days 2 -extfile "$TLS/leaf.ext" -out "$TLS/leaf.pem" 2>/dev/null

# --- the sink ---------------------------------------------------------------------
mkdir -p "$OUT/sink/tmp"
h2=; [[ $SINK_HTTP2 == 1 ]] && h2=http2
cat >"$OUT/sink/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $OUT/sink/nginx.pid;
error_log $OUT/sink/error.log warn;
events { worker_connections 4096; }
http {
  log_format push '\$msec \$server_protocol \$request_uri \$status';
  access_log $LOG push buffer=256k flush=200ms;
  client_body_temp_path $OUT/sink/tmp; proxy_temp_path $OUT/sink/tmp;
  fastcgi_temp_path $OUT/sink/tmp; uwsgi_temp_path $OUT/sink/tmp; scgi_temp_path $OUT/sink/tmp;
  client_body_buffer_size 16k;
  client_max_body_size 16k;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  ssl_session_cache shared:SSL:1m;
  server {
    listen 127.0.0.1:$SINK_HTTP_PORT;
    listen 127.0.0.1:$SINK_HTTPS_PORT ssl $h2;
    ssl_certificate $TLS/leaf.pem;
    ssl_certificate_key $TLS/leaf.key;
    location /push/ { return 201; }
    location / { return 404; }
  }
}
EOF
touch "$LOG"
nginx -p "$OUT/sink" -c "$OUT/sink/nginx.conf" 2>>"$OUT/sink/error.log" &
NGINX_PID=$!
for _ in $(seq 50); do
  curl -fsS -o /dev/null --cacert "$TLS/ca.pem" -X POST "https://127.0.0.1:$SINK_HTTPS_PORT/push/probe" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null --cacert "$TLS/ca.pem" -X POST "https://127.0.0.1:$SINK_HTTPS_PORT/push/probe" ||
  die "the nginx sink did not come up (see $OUT/sink/error.log)"
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SINK_HTTP_PORT/push/probe"
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
log "sink up: nginx $NGINX_PID (worker $NGINX_WORKER), http :$SINK_HTTP_PORT, https :$SINK_HTTPS_PORT"

# --- subscriptions ------------------------------------------------------------------
log "making $N subscriptions (P-256 key pairs)"
"$PY" "$ROOT/server/tests/support/push/mkkeys.py" "$N" "$SINK_HTTPS_PORT" "$OUT/keys" --scheme https

# results.json is assembled from one small JSON file per measurement
echo "{}" >"$OUT/results.json"
put() { # put KEY JSON
  "$PY" - "$OUT/results.json" "$1" "$2" <<'EOF'
import json, sys
path, key, value = sys.argv[1:]
d = json.load(open(path)); d[key] = json.loads(value); json.dump(d, open(path, "w"), indent=1)
EOF
}

# --- Node web-push --------------------------------------------------------------------
if [[ -z ${SKIP_NODE:-} ]]; then
  wait_quiet "node"; busy=$QUIET_BUSY_WAS
  wait_log_idle
  off=$(stat -c %s "$LOG")
  w0=$(cpu_s "$NGINX_WORKER")
  log "node web-push: $N pushes, $NODE_CONCURRENCY in flight, https"
  node "$HERE/node_send.mjs" --subs "$OUT/keys/subscriptions.json" --concurrency "$NODE_CONCURRENCY" \
    --ca "$TLS/ca.pem" --ttl 60 --json "$OUT/node-send.json" | tee -a "$OUT/run.log" >&2 ||
    log "WARNING: node reported failures"
  "$PY" "$HERE/logstats.py" "$LOG" --offset "$off" --wait "$N" --timeout 60 --json "$OUT/node-sink.json" >/dev/null
  put node "{\"send\": $(cat "$OUT/node-send.json"), \"sink\": $(cat "$OUT/node-sink.json"), \"cpu_busy_before\": $busy, \"nginx_cpu_s\": $(sub_s "$w0" "$(cpu_s "$NGINX_WORKER")")}"
  log "node: sink $(cat "$OUT/node-sink.json")"
fi

# --- Marquee ----------------------------------------------------------------------------
start_server() {
  local want=65536 hard
  hard=$(ulimit -Hn)
  [[ $hard != unlimited ]] && (( hard < want )) && want=$hard
  ( ulimit -n "$want"; exec "$BIN" serve --addr "127.0.0.1:$MARQUEE_PORT" ) >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null "$URL/healthz" || die "the server did not start (see $OUT/server.log)"
  log "server pid $SERVER_PID up, RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
}

# One shift, timed: prints the JSON of the measurement.
burst() { # burst LABEL
  local label=$1 busy off t0 resp s0 w0
  wait_quiet "marquee $label"; busy=$QUIET_BUSY_WAS
  wait_log_idle
  off=$(stat -c %s "$LOG")
  s0=$(cpu_s "$SERVER_PID"); w0=$(cpu_s "$NGINX_WORKER")
  log "marquee $label: shift all tracks from $SHIFT_FROM by +30 on $DEMO_DATE"
  t0=$(date +%s.%N)
  resp=$(curl -sS -o "$OUT/shift-$label.json" -w '%{http_code} %{time_total}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"tracks\": [\"all\"], \"from\": \"$SHIFT_FROM\", \"date\": \"$DEMO_DATE\", \"by_minutes\": 30, \"reason\": \"bench\"}" \
    "$URL/api/v1/events/demo/shifts")
  log "shift answered ${resp% *} in ${resp#* } s: $(head -c 300 "$OUT/shift-$label.json")"
  [[ ${resp% *} == 2* ]] || die "the shift was refused"
  "$PY" "$HERE/logstats.py" "$LOG" --offset "$off" --wait "$SUBSCRIBED" --timeout "$DELIVERY_TIMEOUT" \
    --t0 "$t0" --json "$OUT/marquee-$label-sink.json" >/dev/null
  sleep 3   # anything beyond N (duplicates) shows up in a re-read
  "$PY" "$HERE/logstats.py" "$LOG" --offset "$off" --t0 "$t0" --json "$OUT/marquee-$label-all.json" >/dev/null
  put "marquee_$label" "{\"sink\": $(cat "$OUT/marquee-$label-sink.json"), \"all\": $(cat "$OUT/marquee-$label-all.json"), \"shift_status\": ${resp% *}, \"shift_response_s\": ${resp#* }, \"cpu_busy_before\": $busy, \"server_cpu_s\": $(sub_s "$s0" "$(cpu_s "$SERVER_PID")"), \"nginx_cpu_s\": $(sub_s "$w0" "$(cpu_s "$NGINX_WORKER")"), \"server_rss_kib\": $(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)}"
  log "marquee $label: $(cat "$OUT/marquee-$label-sink.json")"
}

if [[ -n $BIN ]]; then
  export MARQUEE_DATABASE_URL=sqlite://$OUT/bench.db
  export MARQUEE_SITE_ROOT=${MARQUEE_SITE_ROOT:-$ROOT/target/site}
  export MARQUEE_PUSH_CA_FILE=$TLS/ca.pem
  # The sink is on loopback (refused unless this switch is on), N browsers
  # subscribe from one address (over the per-address limits), and every
  # subscription is at one origin, where real ones spread over a few push
  # services (so the per-origin cap is lifted to the whole concurrency).
  export MARQUEE_PUSH_ALLOW_INSECURE_LOCALHOST=1
  export MARQUEE_SUBSCRIPTIONS_PER_IP_PER_HOUR=${MARQUEE_SUBSCRIPTIONS_PER_IP_PER_HOUR:-100000000}
  export MARQUEE_ANON_WRITES_PER_MINUTE=${MARQUEE_ANON_WRITES_PER_MINUTE:-100000000}
  export MARQUEE_PUSH_PER_ORIGIN=${MARQUEE_PUSH_PER_ORIGIN:-64}
  rm -f "$OUT"/bench.db*
  "$BIN" demo --date "$DEMO_DATE" >>"$OUT/setup.log" 2>&1
  TOKEN=$("$BIN" token create --name bench 2>>"$OUT/setup.log")
  start_server
  curl -fsS "$URL/api/v1/push/key" >"$OUT/push-key.json" || die "GET /api/v1/push/key failed"
  log "VAPID key: $(cat "$OUT/push-key.json")"

  wait_quiet "subscribe"
  log "subscribing $N ($SUB_CONCURRENCY in flight)"
  "$PY" "$HERE/subscribe.py" --url "$URL" --subs "$OUT/keys/subscriptions.json" \
    --concurrency "$SUB_CONCURRENCY" --retries "$SUB_RETRIES" --json "$OUT/subscribe.json" |
    tee -a "$OUT/run.log" >&2 || true
  put subscribe "$(cat "$OUT/subscribe.json")"
  SUBSCRIBED=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["created"])' "$OUT/subscribe.json")
  (( SUBSCRIBED > 0 )) || die "no subscription was accepted (see $OUT/subscribe.json)"
  (( SUBSCRIBED == N )) ||
    log "WARNING: only $SUBSCRIBED of $N subscriptions were accepted; the bursts wait for $SUBSCRIBED deliveries"

  burst https

  if [[ -z ${SKIP_MARQUEE_HTTP:-} ]]; then
    # Same server, same subscriptions, pointed at the sink's plain-http port
    # (the schema's push_subscription.endpoint, rewritten while it is stopped).
    stop_server
    if "$PY" - "$OUT/bench.db" "$SINK_HTTPS_PORT" "$SINK_HTTP_PORT" <<'EOF'
import sqlite3, sys
db, https_port, http_port = sys.argv[1:]
old, new = f"https://127.0.0.1:{https_port}/", f"http://127.0.0.1:{http_port}/"
c = sqlite3.connect(db)
n = c.execute("update push_subscription set endpoint = ? || substr(endpoint, ?) where endpoint like ?",
              (new, len(old) + 1, old + "%")).rowcount
c.commit()
print(f"{n} endpoints now on plain http", file=sys.stderr)
EOF
    then
      start_server
      burst http
    else
      log "WARNING: could not point the subscriptions at plain http; skipping that run"
    fi
  fi
  stop_server
  log "server log: $(wc -l <"$OUT/server.log") lines, $(grep -ciE 'error|panic' "$OUT/server.log" || true) with error/panic"
else
  put marquee '"pending: no server binary"'
fi

# --- summary ------------------------------------------------------------------------------
"$PY" - "$OUT/results.json" "$N" <<'EOF' | tee "$OUT/summary.txt"
import json, sys
r, n = json.load(open(sys.argv[1])), int(sys.argv[2])
def row(name, sink, extra=""):
    if not sink or not sink.get("n"):
        print(f"{name:<28} no deliveries"); return
    lat = (f"first {sink['first_after_s']:.2f} s, last {sink['last_after_s']:.2f} s after the POST"
           if "first_after_s" in sink else "")
    print(f"{name:<28} {sink['n']:>7}/{n} delivered ({sink['distinct']} distinct), "
          f"{sink['msgs_per_s'] or 0:>6} msgs/s over {sink['span_s']} s {lat} {sink['protocols']} {extra}")
node = r.get("node", {})
if node:
    row("node web-push (https)", node["sink"], f"[sender's own clock: {node['send']['msgs_per_s']} msgs/s, cpu {node['send']['cpu_s']} s]")
for label in ("https", "http"):
    m = r.get(f"marquee_{label}")
    if m:
        row(f"marquee ({label})", m["sink"], f"[shift answered in {m['shift_response_s']} s, server cpu {m['server_cpu_s']} s]")
        if m["all"]["n"] != m["sink"]["n"]:
            print(f"   NOTE: {m['all']['n']} requests in all (duplicates or extra notices)")
if "subscribe" in r:
    s = r["subscribe"]; print(f"{'subscribe':<28} {s['created']}/{s['n']} in {s['seconds']} s = {s['per_s']}/s, retried after 5xx: {s.get('retried') or 'none'}")
if node and r.get("marquee_https", {}).get("sink", {}).get("msgs_per_s"):
    print(f"ratio marquee/node (https): {r['marquee_https']['sink']['msgs_per_s'] / node['sink']['msgs_per_s']:.1f}")
EOF
log "done; results in $OUT"
