#!/usr/bin/env bash
# End to end: build check, fresh SQLite + demo event + token + incident,
# start Marquee on 127.0.0.1:$PORT, run bench/http.sh (wrk vs nginx), then
# bench/sse_fanout.py for each N in $SSE_CLIENTS (a fresh server process per
# N, so "RSS before" is clean), stop everything.  Results and logs go to
# $OUT (default /tmp/bench/run-<time>); a summary is printed at the end.
# Between the two, bench/sse_nginx.sh checks the live stream through nginx.
#
#   bench/run.sh                      # everything
#   SKIP_BUILD=1 bench/run.sh         # use the existing binary as is
#   SKIP_HTTP=1 SSE_CLIENTS="1000" bench/run.sh
#   SERVER_CPUS=0 LOAD_CPUS=1 bench/run.sh   # pin servers (Marquee, nginx) and load
#                                            # generators (wrk, SSE clients) apart
#   SSE_CLIENT=rust bench/run.sh      # the SSE clients in compiled code (bench/sse-client,
#                                     # one thread) instead of Python: less of the
#                                     # two cores goes to the load generator
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/bench}
BIN=${MARQUEE_BIN:-$CARGO_TARGET_DIR/release/marquee}
SITE_ROOT=${MARQUEE_SITE_ROOT:-$ROOT/target/site}
PORT=${PORT:-3200}
SSE_CLIENTS=${SSE_CLIENTS-"1000 10000"}   # set but empty: no SSE runs
SSE_UPDATES=${SSE_UPDATES:-5}
SSE_CLIENT=${SSE_CLIENT:-python}   # python (bench/sse_fanout.py) or rust (bench/sse-client)
QUIET_MAX=${QUIET_MAX:-600}       # seconds to wait for the machine to calm down
QUIET_BUSY=${QUIET_BUSY:-30}      # "quiet" = CPU busy below this percent
OUT=${OUT:-/tmp/bench/run-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
DB=$OUT/m.db
export MARQUEE_DATABASE_URL=sqlite://$DB
export MARQUEE_SITE_ROOT=$SITE_ROOT
# sse_fanout.py opens up to 10,000 streams from one address.
export MARQUEE_SSE_PER_IP=${MARQUEE_SSE_PER_IP:-1000000}
URL=http://127.0.0.1:$PORT
# Optional CPU pinning (taskset core lists): the servers on SERVER_CPUS, the
# load generators on LOAD_CPUS, as a deployment has them on other machines.
export SERVER_CPUS=${SERVER_CPUS:-} LOAD_CPUS=${LOAD_CPUS:-}
on_cpus() { local cpus=$1; shift; if [[ -n $cpus ]]; then taskset -c "$cpus" "$@"; else "$@"; fi; }

SERVER_PID=
stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# kernel counter: SYNs dropped because a listen backlog was full
listen_overflows() { awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat; }
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log"; }

# shellcheck source=quiet.sh
source "$(dirname "$0")/quiet.sh"

start_server() {
  stop_server
  # The server needs one fd per SSE client: raise the soft limit to the hard one
  # (a container may cap the hard limit below 65536).
  local want=65536 hard
  hard=$(ulimit -Hn)
  [[ $hard != unlimited ]] && (( hard < want )) && want=$hard
  ( ulimit -n "$want"; if [[ -n $SERVER_CPUS ]]; then exec taskset -c "$SERVER_CPUS" "$BIN" serve --addr "127.0.0.1:$PORT"; else exec "$BIN" serve --addr "127.0.0.1:$PORT"; fi ) >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null "$URL/healthz"
  log "server pid $SERVER_PID up, fd limit $(awk '/Max open files/ {print $4}' /proc/$SERVER_PID/limits)," \
      "RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
}

# --- build --------------------------------------------------------------------
if [[ -z ${SKIP_BUILD:-} ]]; then
  log "cargo build --release -p server (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  # Others may be mid-edit: a failed build falls back to the last good binary.
  if ! (cd "$ROOT" && cargo build --release -p server) >"$OUT/build.log" 2>&1; then
    log "WARNING: build failed (see $OUT/build.log); using the existing binary"
  fi
  tail -1 "$OUT/build.log" | tee -a "$OUT/run.log"
fi
[[ -x $BIN ]] || { echo "no binary at $BIN" >&2; exit 1; }
[[ -d $SITE_ROOT/pkg ]] || { echo "no assets at $SITE_ROOT/pkg (run make build once)" >&2; exit 1; }

# --- machine ------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "nproc: $(nproc)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
  echo "mem: $(free -h | awk '/Mem:/ {print $2}')"
  echo "kernel: $(uname -r)"
  echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- app server || echo ' (+ uncommitted changes in app/ server/)')"
  echo "binary: $BIN ($(stat -c '%y' "$BIN" | cut -d. -f1))"
  echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); nginx: $(nginx -v 2>&1 | cut -d/ -f2); python: $(python3 -V)"
  echo "fd hard limit: $(ulimit -Hn)"
  echo "pinning: servers on CPUs ${SERVER_CPUS:-any}, load generators on CPUs ${LOAD_CPUS:-any}"
} | tee "$OUT/machine.txt"

# --- data ---------------------------------------------------------------------
rm -f "$DB"*
"$BIN" demo --date 2026-11-23 >>"$OUT/setup.log" 2>&1
TOKEN=$("$BIN" token create --name bench 2>>"$OUT/setup.log")
export MARQUEE_TOKEN=$TOKEN
start_server
INCIDENT=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Streams unavailable","body":"x","components":["all-streams"]}' \
  "$URL/api/v1/events/demo/incidents" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
log "incident $INCIDENT created"

# --- HTTP ---------------------------------------------------------------------
if [[ -z ${SKIP_HTTP:-} ]]; then
  wait_quiet "http"
  lo=$(listen_overflows)
  MARQUEE_URL=$URL MARQUEE_PID=$SERVER_PID OUT=$OUT/http "$HERE/http.sh" 2>&1 | tee -a "$OUT/http.log"
  log "http: kernel ListenOverflows +$(( $(listen_overflows) - lo ))"
  log "server after http: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)," \
      "5xx/errors in server log: $(grep -ciE 'error|panic' "$OUT/server.log" || true)"
fi

# --- write -> served ----------------------------------------------------------
# FRESHNESS=N: N incident updates, the status page and its JSON polled
# meanwhile; commit -> new bytes served (bench/freshness.py).
if [[ -n ${FRESHNESS:-} ]]; then
  for page in /e/demo/status /e/demo/api/v2/incidents.json; do
    wait_quiet "freshness $page"
    python3 "$HERE/freshness.py" --url "$URL" --token "$TOKEN" --updates "$FRESHNESS" --page "$page" 2>&1 |
      tee -a "$OUT/freshness.log"
  done
fi

# --- SSE through nginx -------------------------------------------------------
if [[ -z ${SKIP_NGINX_SSE:-} ]]; then
  MARQUEE_URL=$URL "$HERE/sse_nginx.sh" 2>&1 | tee "$OUT/sse-nginx.log" ||
    log "WARNING: the live stream did not come through nginx"
fi

# --- SSE ----------------------------------------------------------------------
sse_client=(python3 "$HERE/sse_fanout.py")
if [[ $SSE_CLIENT == rust && -n $SSE_CLIENTS ]]; then
  # Its own workspace and lock file, its own target folder.
  cargo build --release --locked --quiet --manifest-path "$HERE/sse-client/Cargo.toml" \
    --target-dir "$CARGO_TARGET_DIR/sse-client"
  sse_client=("$CARGO_TARGET_DIR/sse-client/release/sse-client")
fi
for n in $SSE_CLIENTS; do
  start_server          # fresh process per N
  procs=1; (( n > 2000 )) && procs=${SSE_PROCS:-2}
  wait_quiet "sse N=$n"
  lo=$(listen_overflows)
  ( ulimit -n "$(ulimit -Hn)"; on_cpus "$LOAD_CPUS" "${sse_client[@]}" --port "$PORT" --incident "$INCIDENT" \
      --pid "$SERVER_PID" -n "$n" --procs "$procs" --updates "$SSE_UPDATES" --json "$OUT/sse-$n.json" ) \
    2>&1 | tee "$OUT/sse-$n.log" || log "WARNING: sse N=$n reported missing deliveries or failures"
  log "sse N=$n: kernel ListenOverflows +$(( $(listen_overflows) - lo )); server RSS now $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
done
stop_server
log "server log: $(wc -l <"$OUT/server.log") lines, $(grep -ciE 'error|panic' "$OUT/server.log" || true) with error/panic"
log "done; results in $OUT"
