#!/usr/bin/env bash
# Web Push burst shared by two instances on PostgreSQL (issue 16): nothing
# sent twice, and together at least as fast as one.
#
# One fresh PostgreSQL database, N subscriptions (server/tests/support/
# push/mkkeys.py, subscribed through the API by bench/push/subscribe.py),
# the nginx sink of bench/push.sh (201 to every POST /push/..., one log
# line per delivery). Then, in the same run and on the same subscriptions:
#   1. one instance (A) alone: a shift of every track, one notice to each
#      of the N subscribers;
#   2. a second instance (B) started beside A: another shift, the burst
#      shared by A and B (SKIP LOCKED claims).
# ROUNDS (default 1) repeats 1 and 2 (B is stopped before each "one").
# Each burst is counted at the sink (deliveries, distinct endpoints:
# anything sent twice shows as deliveries - distinct, read again 3 s after
# the last one) and in the database (who sent what: each instance's worker
# leaves its own lease token on what it sent).
#
#   N=20000 bench/push_multi.sh
#   N=100000 MARQUEE_BIN=/path/to/marquee bench/push_multi.sh
#   SCHEME=https bench/push_multi.sh      # the sink over TLS (default plain http)
#
# Needs nginx, openssl (https), psql, tools/venv (aiohttp, cryptography) and
# a server binary ($MARQUEE_BIN, else target/release/marquee). Results:
# $OUT/summary.txt and $OUT/results.json (default /tmp/bench/push-multi-<time>).
# Exit 1 when a burst was incomplete or sent anything twice.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/push
N=${N:-20000}
ROUNDS=${ROUNDS:-1}
SCHEME=${SCHEME:-http}
BIN=${MARQUEE_BIN:-$ROOT/target/release/marquee}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres}
PORT_A=${PORT_A:-3271}
PORT_B=${PORT_B:-3272}
SINK_HTTP_PORT=${SINK_HTTP_PORT:-3273}
SINK_HTTPS_PORT=${SINK_HTTPS_PORT:-3274}
SUB_CONCURRENCY=${SUB_CONCURRENCY:-32}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-900}
QUIET_MAX=${QUIET_MAX:-60}
QUIET_BUSY=${QUIET_BUSY:-30}
DEMO_DATE=${DEMO_DATE:-$(TZ=Europe/Moscow date -d tomorrow +%F)}
PY=${PYTHON:-$ROOT/tools/venv/bin/python}
OUT=${OUT:-/tmp/bench/push-multi-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/sink/access.log

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}
command -v nginx >/dev/null || die "nginx is not installed (apt-get install nginx-light)"
"$PY" -c 'import aiohttp, cryptography' 2>/dev/null || die "$PY lacks aiohttp/cryptography (scripts/setup.sh test)"
[[ -x $BIN ]] || die "no marquee binary at $BIN"
psql "$PG" -qAtc 'select 1' >/dev/null || die "PostgreSQL does not answer at $PG"
case $SCHEME in
http) SINK_PORT=$SINK_HTTP_PORT ;;
https) SINK_PORT=$SINK_HTTPS_PORT ;;
*) die "SCHEME is http or https" ;;
esac

DB=marquee_bench_push_multi_$$
DB_URL=${PG%/*}/$DB
NGINX_PID= A_PID= B_PID=
stop_pid() { # stop_pid PID: SIGTERM (the drain), SIGKILL after 30 s
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    set +e
    stop_pid "$A_PID"
    stop_pid "$B_PID"
    if [[ -n $NGINX_PID ]]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
    fi
    psql "$PG" -qAtc "drop database if exists $DB with (force)" >/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=quiet.sh
source "$ROOT/bench/quiet.sh"
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sub_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
wait_log_idle() {
    local a b start=$SECONDS
    b=$(stat -c %s "$LOG")
    while ((SECONDS - start < 120)); do
        sleep 3
        a=$b
        b=$(stat -c %s "$LOG")
        [[ $a == "$b" ]] && return
    done
    log "WARNING: the sink's log is still growing"
}
sql() { psql "$DB_URL" -qAtc "$1"; }

{
    echo "date: $(date -Is)"
    echo "nproc: $(nproc); cpu: $(lscpu | sed -n 's/^Model name: *//p'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)"
    echo "binary: $BIN ($(stat -c '%y' "$BIN" | cut -d. -f1))"
    echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2); postgres: $(psql "$PG" -qAtc 'show server_version')"
    echo "N: $N; rounds: $ROUNDS; sink: $SCHEME; subscribe concurrency: $SUB_CONCURRENCY"
} | tee "$OUT/machine.txt" >&2

# --- the sink (as bench/push.sh) -------------------------------------------------
TLS=$OUT/tls
mkdir -p "$TLS" "$OUT/sink/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=Marquee bench CA" -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$TLS/leaf.key" -out "$TLS/leaf.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$TLS/leaf.ext"
openssl x509 -req -in "$TLS/leaf.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days 2 -extfile "$TLS/leaf.ext" -out "$TLS/leaf.pem" 2>/dev/null
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
  server {
    listen 127.0.0.1:$SINK_HTTP_PORT;
    listen 127.0.0.1:$SINK_HTTPS_PORT ssl;
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
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SINK_HTTP_PORT/push/probe" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SINK_HTTP_PORT/push/probe" || die "the sink did not come up"
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
log "sink up: nginx $NGINX_PID (worker $NGINX_WORKER) on :$SINK_PORT ($SCHEME)"

# --- database and subscriptions ------------------------------------------------------
psql "$PG" -qAtc "create database $DB" >/dev/null
export MARQUEE_DATABASE_URL=$DB_URL
"$BIN" demo --date "$DEMO_DATE" >>"$OUT/setup.log" 2>&1
TOKEN=$("$BIN" token create --name bench 2>>"$OUT/setup.log")
mkdir -p "$OUT/site/pkg"
export MARQUEE_SITE_ROOT=$OUT/site
export MARQUEE_PUSH_CA_FILE=$TLS/ca.pem
# As bench/push.sh: the sink is on loopback, N browsers subscribe from one
# address, every endpoint is at one origin. And every shift is its own
# notice (no amending of the previous one within two hours).
export MARQUEE_PUSH_ALLOW_INSECURE_LOCALHOST=1
export MARQUEE_SUBSCRIPTIONS_PER_IP_PER_HOUR=100000000
export MARQUEE_ANON_WRITES_PER_MINUTE=100000000
export MARQUEE_PUSH_PER_ORIGIN=${MARQUEE_PUSH_PER_ORIGIN:-64}
export MARQUEE_AMEND_WINDOW_MINUTES=-1
export RUST_LOG=${RUST_LOG:-info}

STARTED=
start() { # start PORT: STARTED=its pid, once /healthz says the database is ok
    local port=$1 pid want=65536 hard
    hard=$(ulimit -Hn)
    [[ $hard != unlimited ]] && ((hard < want)) && want=$hard
    (
        ulimit -n "$want"
        exec "$BIN" serve --addr "127.0.0.1:$port"
    ) >>"$OUT/server-$port.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
        curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q '"database":"ok"' && break
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"database":"ok"' || die "instance on $port did not start"
    STARTED=$pid
}

log "making $N subscriptions (P-256 key pairs)"
"$PY" "$ROOT/server/tests/support/push/mkkeys.py" "$N" "$SINK_PORT" "$OUT/keys" --scheme "$SCHEME"
start "$PORT_A"
A_PID=$STARTED
log "A: pid $A_PID on :$PORT_A"
wait_quiet "subscribe"
log "subscribing $N through A ($SUB_CONCURRENCY in flight)"
"$PY" "$HERE/subscribe.py" --url "http://127.0.0.1:$PORT_A" --subs "$OUT/keys/subscriptions.json" \
    --concurrency "$SUB_CONCURRENCY" --json "$OUT/subscribe.json" | tee -a "$OUT/run.log" >&2 || true
SUBSCRIBED=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["created"])' "$OUT/subscribe.json")
((SUBSCRIBED == N)) || die "only $SUBSCRIBED of $N subscriptions were accepted (see $OUT/subscribe.json)"

echo "[]" >"$OUT/bursts.json"
SHIFT=0
burst() { # burst LABEL PID...: one shift, counted at the sink and in the database
    local label=$1 busy off t0 resp notice pid
    shift
    local pids=("$@") c0=()
    wait_quiet "burst $label"
    busy=$QUIET_BUSY_WAS
    wait_log_idle
    off=$(stat -c %s "$LOG")
    notice=$(sql "select coalesce(max(push_notice_id), 0) from push_notice")
    for pid in "${pids[@]}"; do c0+=("$(cpu_s "$pid")"); done
    local w0 load
    w0=$(cpu_s "$NGINX_WORKER")
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    # Alternate +30 and -30 so the sessions stay where the notice is worth sending.
    local by=30
    ((SHIFT % 2)) && by=-30
    SHIFT=$((SHIFT + 1))
    log "burst $label (${#pids[@]} instance(s)): shift all tracks by $by on $DEMO_DATE; load average $load"
    t0=$(date +%s.%N)
    resp=$(curl -sS -o "$OUT/shift-$SHIFT.json" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -d "{\"tracks\": [\"all\"], \"from\": \"16:00\", \"date\": \"$DEMO_DATE\", \"by_minutes\": $by, \"reason\": \"bench\"}" \
        "http://127.0.0.1:$PORT_A/api/v1/events/demo/shifts")
    [[ $resp == 2* ]] || die "the shift was refused: $resp $(cat "$OUT/shift-$SHIFT.json")"
    "$PY" "$HERE/logstats.py" "$LOG" --offset "$off" --wait "$N" --timeout "$DELIVERY_TIMEOUT" \
        --t0 "$t0" --json "$OUT/burst-$SHIFT-sink.json" >/dev/null
    sleep 3 # anything sent twice arrives by now
    "$PY" "$HERE/logstats.py" "$LOG" --offset "$off" --t0 "$t0" --json "$OUT/burst-$SHIFT-all.json" >/dev/null
    local cpu=()
    for i in "${!pids[@]}"; do cpu+=("$(sub_s "${c0[$i]}" "$(cpu_s "${pids[$i]}")")"); done
    sql "select coalesce(lease_token, '-'), state, count(*) from push_delivery
         where push_notice_id > $notice group by 1, 2" >"$OUT/burst-$SHIFT-db.txt"
    "$PY" - "$OUT" "$SHIFT" "$label" "$N" "$busy" "$load" "$(sub_s "$w0" "$(cpu_s "$NGINX_WORKER")")" "${cpu[*]}" <<'EOF'
import json, sys
out, k, label, n, busy, load, nginx_cpu, cpu = sys.argv[1:]
sink = json.load(open(f"{out}/burst-{k}-sink.json"))
every = json.load(open(f"{out}/burst-{k}-all.json"))
by_sender, states = {}, {}
for line in open(f"{out}/burst-{k}-db.txt"):
    token, state, count = line.strip().split("|")
    states[state] = states.get(state, 0) + int(count)
    if state == "sent":
        by_sender[token] = int(count)
b = {"label": label, "n": int(n), "delivered": every["n"], "distinct": every["distinct"],
     "twice": every["n"] - every["distinct"], "complete": sink["complete"],
     "msgs_per_s": sink["msgs_per_s"], "span_s": sink["span_s"],
     "first_after_s": sink.get("first_after_s"), "last_after_s": sink.get("last_after_s"),
     "statuses": every["statuses"], "db_states": states,
     "sent_by_instance": sorted(by_sender.values(), reverse=True),
     "server_cpu_s": [float(c) for c in cpu.split()], "nginx_cpu_s": float(nginx_cpu),
     "cpu_busy_before": int(busy), "load_before": load}
bursts = json.load(open(f"{out}/bursts.json"))
bursts.append(b)
json.dump(bursts, open(f"{out}/bursts.json", "w"), indent=1)
print(json.dumps(b), file=sys.stderr)
EOF
}

for round in $(seq "$ROUNDS"); do
    if [[ -n $B_PID ]]; then
        stop_pid "$B_PID"
        B_PID=
        log "B stopped"
    fi
    burst "one" "$A_PID"
    start "$PORT_B"
    B_PID=$STARTED
    log "B: pid $B_PID on :$PORT_B"
    burst "two" "$A_PID" "$B_PID"
done

"$PY" - "$OUT/bursts.json" <<'EOF' | tee "$OUT/summary.txt"
import json, sys
bursts = json.load(open(sys.argv[1]))
ok = True
for b in bursts:
    ok &= b["complete"] and b["twice"] == 0 and b["distinct"] == b["n"]
    print(f"{b['label']:>3} instance(s): {b['delivered']}/{b['n']} delivered, {b['distinct']} distinct, "
          f"{b['twice']} twice; {b['msgs_per_s']} msgs/s over {b['span_s']} s "
          f"(first {b['first_after_s']} s, last {b['last_after_s']} s after the POST); "
          f"sent by instance {b['sent_by_instance']}; server CPU {b['server_cpu_s']} s, "
          f"sink CPU {b['nginx_cpu_s']} s; db {b['db_states']}; before: busy {b['cpu_busy_before']}%, load {b['load_before']}")
ones = [b["msgs_per_s"] or 0 for b in bursts if b["label"] == "one"]
twos = [b["msgs_per_s"] or 0 for b in bursts if b["label"] == "two"]
if ones and twos:
    print(f"two/one rate: {sum(twos) / len(twos) / (sum(ones) / len(ones)):.2f}")
print("PASS" if ok else "FAIL")
EOF
for f in "$OUT"/server-*.log; do
    log "$(basename "$f"): $(wc -l <"$f") lines, $(grep -ciE '\bERROR\b|panic' "$f" || true) with ERROR/panic"
done
log "results in $OUT"
grep -qx PASS "$OUT/summary.txt"
