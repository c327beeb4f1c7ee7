#!/usr/bin/env bash
# A full rolling upgrade of two instances behind nginx, under load, end to
# end on loopback (issue 16): zero failed requests and no missed change?
#
# A fresh PostgreSQL database (the demo event, an API token); two
# `marquee serve` started and then upgraded by deploy/rolling-upgrade.sh
# itself, with deploy/systemctl-plain.sh standing in for systemctl (same
# steps as the systemd unit, plain processes); nginx with the shipped
# deploy/nginx/marquee.conf (ports and paths substituted, an access log
# added). Meanwhile:
#   - wrk through nginx on the status page, with a session cookie so that
#     nginx's cache is bypassed and every request reaches an instance;
#   - bench/rolling_watch.py: SSE clients on /e/demo/live through nginx
#     (reconnecting with Last-Event-ID, as EventSource does) and a writer
#     posting an incident through nginx every INTERVAL s.
# wrk starts, UPGRADE_AT s later the upgrades run one after the other
# (UPGRADES, default 2: rel-1 -> rel-2 -> rel-3, each release a copy of
# the same binary at its own path, so /proc/PID/exe shows the switch),
# then wrk runs to its end (DURATION) and the writer stops.
#
#   bench/rolling.sh                       # MARQUEE_BIN or target/release/marquee
#   MARQUEE_BIN=/path/to/marquee DURATION=60 UPGRADES=2 bench/rolling.sh
#
# Results: $OUT/summary.txt and $OUT/results.json (default
# /tmp/bench/rolling-<time>); $OUT/sse-trace.log has every SSE connection
# and frame; KEEP_DB=1 keeps the database. Exit 1 if any check failed: a
# non-2xx or a socket error in wrk (an answer slower than WRK_TIMEOUT, 10 s,
# counts as one), a write that failed, a client that missed an incident or
# was refused. Resyncs (a client told to refetch: its replay could not be
# read in time) are counted, not failed. Needs wrk, nginx, curl, psql, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MARQUEE_BIN:-$ROOT/target/release/marquee}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres}
PORT_A=${PORT_A:-3251}
PORT_B=${PORT_B:-3252}
FRONT_PORT=${FRONT_PORT:-3253}
DURATION=${DURATION:-60}    # wrk's run, seconds
UPGRADE_AT=${UPGRADE_AT:-5} # seconds into wrk's run
UPGRADES=${UPGRADES:-2}     # full rolling upgrades, one after the other
CONNS=${CONNS:-32}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s} # a slower answer counts as a socket error
THREADS=${THREADS:-2}
CLIENTS=${CLIENTS:-8}
INTERVAL=${INTERVAL:-0.2}
DRAIN_SECS=${DRAIN_SECS:-10}
OUT=${OUT:-/tmp/bench/rolling-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

log() { echo "[$(date +%H:%M:%S.%N | cut -c1-12)] $*" | tee -a "$OUT/run.log" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}
for tool in wrk nginx curl psql python3; do
    command -v "$tool" >/dev/null || die "missing $tool (apt-get install wrk nginx-light curl postgresql-client)"
done
[[ -x $BIN ]] || die "no marquee binary at $BIN (make build, or MARQUEE_BIN=...)"
psql "$PG" -qAtc 'select 1' >/dev/null || die "PostgreSQL does not answer at $PG"

DB=marquee_bench_rolling_$$
DB_URL=${PG%/*}/$DB
export MARQUEE_HOME=$OUT/home
export MARQUEE_ENV_FILE=$OUT/marquee.env
export SYSTEMCTL=$ROOT/deploy/systemctl-plain.sh
export HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-60}
NGINX_PID= WATCH_PID= WRK_PID=

cleanup() {
    set +e
    [[ -n $WRK_PID ]] && kill "$WRK_PID" 2>/dev/null
    [[ -n $WATCH_PID ]] && { touch "$OUT/stop"; wait "$WATCH_PID" 2>/dev/null; }
    for port in $PORT_A $PORT_B; do "$SYSTEMCTL" stop "marquee@$port"; done
    if [[ -n $NGINX_PID ]]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
    fi
    if [[ -n ${KEEP_DB:-} ]]; then
        echo "database kept: $DB_URL" >&2
    else
        psql "$PG" -qAtc "drop database if exists $DB with (force)" >/dev/null
    fi
    rm -rf "$OUT/releases" "$MARQUEE_HOME/releases"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
    echo "date: $(date -Is)"
    echo "nproc: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)"
    echo "binary: $BIN ($(stat -c '%y' "$BIN" | cut -d. -f1))"
    echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); nginx: $(nginx -v 2>&1 | cut -d/ -f2); postgres: $(psql "$PG" -qAtc 'show server_version')"
    echo "wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout $WRK_TIMEOUT; settle ${SETTLE_SECS:-3}s; upgrades: $UPGRADES from ${UPGRADE_AT}s; SSE clients: $CLIENTS; a write every ${INTERVAL}s; drain ${DRAIN_SECS}s"
} | tee "$OUT/machine.txt" >&2

# --- database, releases, settings ---------------------------------------------
psql "$PG" -qAtc "create database $DB" >/dev/null
MARQUEE_DATABASE_URL=$DB_URL "$BIN" demo >>"$OUT/setup.log" 2>&1
TOKEN=$(MARQUEE_DATABASE_URL=$DB_URL "$BIN" token create --name rolling 2>>"$OUT/setup.log")
for i in $(seq 1 $((UPGRADES + 1))); do
    mkdir -p "$OUT/releases/rel-$i/site/pkg"
    cp "$BIN" "$OUT/releases/rel-$i/marquee"
done
cat >"$MARQUEE_ENV_FILE" <<EOF
MARQUEE_DATABASE_URL=$DB_URL
MARQUEE_TRUSTED_PROXIES=127.0.0.1
MARQUEE_DRAIN_SECS=$DRAIN_SECS
RUST_LOG=info
EOF

exe_of() { readlink "/proc/$(cat "$MARQUEE_HOME/run/marquee@$1.pid")/exe" 2>/dev/null || echo none; }

# rolling-upgrade.sh's output, each line stamped.
upgrade() { # upgrade RELEASE_DIR
    "$ROOT/deploy/rolling-upgrade.sh" "$1" "$PORT_A" "$PORT_B" 2>&1 |
        while IFS= read -r line; do log "  rolling-upgrade: $line"; done
    return "${PIPESTATUS[0]}"
}

log "first start: rel-1 on $PORT_A and $PORT_B (rolling-upgrade.sh starts what is not running)"
upgrade "$OUT/releases/rel-1" || die "the first start failed (see $MARQUEE_HOME/run/*.log)"

# --- nginx with the shipped configuration ---------------------------------------
NG=$OUT/nginx
mkdir -p "$NG/tmp" "$NG/logs" "$NG/cache"
sed -e "s/127.0.0.1:3001/127.0.0.1:$PORT_A/" -e "s/127.0.0.1:3002/127.0.0.1:$PORT_B/" \
    -e "s/listen 80;/listen 127.0.0.1:$FRONT_PORT;/" -e "s#/var/cache/nginx/marquee#$NG/cache#" \
    "$ROOT/deploy/nginx/marquee.conf" >"$NG/marquee.conf"
grep -q "127.0.0.1:$PORT_A" "$NG/marquee.conf" && grep -q "listen 127.0.0.1:$FRONT_PORT" "$NG/marquee.conf" ||
    die "deploy/nginx/marquee.conf no longer has the ports this script substitutes"
cat >"$NG/nginx.conf" <<EOF
daemon off;
worker_processes 1;
user $(id -un);
pid $NG/nginx.pid;
error_log $NG/logs/error.log warn;
events { worker_connections 4096; }
http {
  log_format rolling '\$msec|\$request_method|\$uri|\$status|\$upstream_addr|\$upstream_status|\$request_time';
  access_log $NG/logs/access.log rolling buffer=64k flush=1s;
  client_body_temp_path $NG/tmp; proxy_temp_path $NG/tmp;
  fastcgi_temp_path $NG/tmp; uwsgi_temp_path $NG/tmp; scgi_temp_path $NG/tmp;
  include $NG/marquee.conf;
}
EOF
nginx -p "$NG" -c "$NG/nginx.conf" 2>>"$NG/logs/error.log" &
NGINX_PID=$!
FRONT=http://127.0.0.1:$FRONT_PORT
for _ in $(seq 50); do curl -fsS -o /dev/null "$FRONT/healthz" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "$FRONT/healthz" || die "nginx did not come up (see $NG/logs/error.log)"
COOKIE='Cookie: marquee_session=bench-not-signed-in'
cache=$(curl -fsS -o /dev/null -D - -H "$COOKIE" "$FRONT/e/demo/status" | tr -d '\r' | sed -n 's/^[Xx]-[Cc]ache-[Ss]tatus: //p')
[[ $cache == BYPASS ]] || die "the status page with a session cookie was not passed through (X-Cache-Status: $cache)"
log "nginx $NGINX_PID on :$FRONT_PORT in front of :$PORT_A ($(exe_of "$PORT_A")) and :$PORT_B ($(exe_of "$PORT_B"))"

# --- the run ------------------------------------------------------------------------
rm -f "$OUT/stop"
python3 "$ROOT/bench/rolling_watch.py" --front "127.0.0.1:$FRONT_PORT" --token "$TOKEN" \
    --stop "$OUT/stop" --clients "$CLIENTS" --interval "$INTERVAL" --json "$OUT/sse.json" --trace "$OUT/sse-trace.log" \
    >"$OUT/watch.out" 2>"$OUT/watch.err" &
WATCH_PID=$!
for _ in $(seq 300); do grep -q following "$OUT/watch.err" && break; sleep 0.1; done
grep -q following "$OUT/watch.err" || die "the SSE clients did not start: $(cat "$OUT/watch.err")"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "SSE clients and writer running; wrk for ${DURATION}s (load average $load_before)"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" -s "$ROOT/bench/wrk_status.lua" -H "$COOKIE" \
    "$FRONT/e/demo/status" >"$OUT/wrk.log" 2>&1 &
WRK_PID=$!
sleep "$UPGRADE_AT"

t_all=$(date +%s.%N)
durations=()
for i in $(seq 2 $((UPGRADES + 1))); do
    log "upgrade $((i - 1)) of $UPGRADES: rel-$i"
    t0=$(date +%s.%N)
    upgrade "$OUT/releases/rel-$i" || die "the upgrade to rel-$i failed"
    t1=$(date +%s.%N)
    durations+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
    for port in $PORT_A $PORT_B; do
        exe=$(exe_of "$port")
        [[ $exe == "$MARQUEE_HOME/releases/rel-$i/marquee" ]] || die "marquee@$port runs $exe, not rel-$i"
    done
    log "upgrade $((i - 1)) took ${durations[-1]} s; both instances run $MARQUEE_HOME/releases/rel-$i/marquee"
    if [[ $i -le $UPGRADES ]]; then sleep 3; fi
done
upgrades_s=$(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
kill -0 "$WRK_PID" 2>/dev/null || die "wrk ended before the upgrades did (raise DURATION)"
wait "$WRK_PID" || log "WARNING: wrk exited with $?"
WRK_PID=
touch "$OUT/stop"
watch_rc=0
wait "$WATCH_PID" || watch_rc=$?
WATCH_PID=
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 1.5 # nginx flushes its access log every second

# --- results ---------------------------------------------------------------------------
result=$(grep '^RESULT' "$OUT/wrk.log" || true)
[[ -n $result ]] || die "no RESULT line from wrk: $(cat "$OUT/wrk.log")"
log "wrk: $result"
python3 - "$OUT" "$result" "$upgrades_s" "${durations[*]}" "$load_before" "$load_after" "$watch_rc" <<'EOF' |
import json, sys
out, result, upgrades_s, durations, load_before, load_after, watch_rc = sys.argv[1:]
wrk = {}
for part in result.split()[1:]:
    k, v = part.split("=", 1)
    wrk[k] = v if k == "statuses" else float(v)
sse = json.load(open(f"{out}/sse.json"))
# nginx's view: every answer it gave, and the requests it had to pass to a
# second instance (a refused connection or a cut one: $upstream_addr lists both).
lines = [l.rstrip("\n").split("|") for l in open(f"{out}/nginx/logs/access.log")]
by_uri = {}
for l in lines:
    key = "live" if l[2].endswith("/live") else "status" if l[2] == "/e/demo/status" else \
        "writes" if l[1] == "POST" else "other"
    d = by_uri.setdefault(key, {"n": 0, "non2xx": 0, "retried": 0, "statuses": {}})
    d["n"] += 1
    d["statuses"][l[3]] = d["statuses"].get(l[3], 0) + 1
    d["non2xx"] += not l[3].startswith("2")
    d["retried"] += "," in l[4]
res = {"wrk": wrk, "sse": sse, "nginx": by_uri, "upgrades_s": float(upgrades_s),
       "each_upgrade_s": [float(x) for x in durations.split()],
       "load_before": load_before, "load_after": load_after}
json.dump(res, open(f"{out}/results.json", "w"), indent=1)
ok = wrk["non2xx"] == 0 and wrk["socket_errors"] == 0 and watch_rc == "0"
print(f"wrk: {int(wrk['requests'])} requests, {int(wrk['non2xx'])} non-2xx, "
      f"{int(wrk['socket_errors'])} socket errors, {wrk['rps']:.0f} req/s, p50 {wrk['p50_ms']} ms, "
      f"p99 {wrk['p99_ms']} ms, max {wrk['max_ms']} ms ({wrk['statuses']})")
print(f"upgrades: {len(res['each_upgrade_s'])} in {upgrades_s} s (each: {durations} s)")
print(f"writes: {sse['created']} incidents created through nginx in {sse['writes_s']} s, "
      f"{sse['write_failures']} failed {sse['write_failure_samples']}")
for c in sse["clients"]:
    print(f"  SSE client {c['client']}: saw {c['seen']}/{sse['created']}, missed {c['missed']}, "
          f"{c['connections']} connections, {c['reconnect_frames']} reconnect frames, "
          f"{c['resyncs']} resyncs, {c['refused_n']} refused {c['refused']}")
for k, d in sorted(by_uri.items()):
    print(f"nginx {k}: {d['n']} answers, {d['non2xx']} non-2xx, {d['retried']} passed to a second instance {d['statuses']}")
print(f"load average: {load_before} before, {load_after} after")
print("PASS" if ok else "FAIL")
EOF
    tee "$OUT/summary.txt"
errors=$(cat "$MARQUEE_HOME"/run/*.log | grep -ciE '"level":"(error)"|\bERROR\b|panic' || true)
log "instance logs: $(cat "$MARQUEE_HOME"/run/*.log | wc -l) lines, $errors with ERROR/panic; nginx error.log: $(wc -l <"$NG/logs/error.log") lines"
log "results in $OUT"
grep -qx PASS "$OUT/summary.txt"
