#!/usr/bin/env bash
# What a hostile crowd does to the status page (issue 11): its latency for
# one visitor, idle and then under attack, for
#   login:      64 clients posting wrong passwords to /login as fast as they
#               can, each from its own loopback address (127.0.0.2 ...);
#   login-open: the same with the per-address and per-account throttle
#               lifted, so every attempt is hashed (the bounded hashing pool
#               alone keeps the runtime free);
#   slowloris:  5,000 connections sending their headers one byte a second.
# Everything is on loopback; each phase stops by itself.
#
#   bench/guard.sh                     # all three, ≈ 4 min
#   PHASES="slowloris" bench/guard.sh
#   SERVER_CPUS=0 ATTACK_CPUS=1 bench/guard.sh   # server and clients on separate
#       cores (taskset), as separate machines would have them; the probe runs
#       on ATTACK_CPUS too, with the attack at nice $ATTACK_NICE (default 10 when
#       pinned) so the visitor's own process is not what it waits for
#
# Needs tools/venv (scripts/setup.sh test) and a built server: $MARQUEE_BIN,
# else target/release/marquee, else target/debug/marquee.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench
PY=${PYTHON:-$ROOT/tools/venv/bin/python}
PORT=${PORT:-3203}
PHASES=${PHASES:-"login login-open slowloris"}
PROBE_SECONDS=${PROBE_SECONDS:-20}
ATTACK_SECONDS=${ATTACK_SECONDS:-40}
QUIET_MAX=${QUIET_MAX:-300}
QUIET_BUSY=${QUIET_BUSY:-30}
OUT=${OUT:-/tmp/bench/guard-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
URL=http://127.0.0.1:$PORT
SERVER_CPUS=${SERVER_CPUS:-}
ATTACK_CPUS=${ATTACK_CPUS:-}
SERVER_PIN=() ATTACK_PIN=()
[[ -n $SERVER_CPUS ]] && SERVER_PIN=(taskset -c "$SERVER_CPUS")
[[ -n $ATTACK_CPUS ]] && ATTACK_PIN=(taskset -c "$ATTACK_CPUS")
ATTACK_NICE=${ATTACK_NICE:-$([[ -n $ATTACK_CPUS ]] && echo 10 || echo 0)}

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
# shellcheck source=quiet.sh
source "$HERE/quiet.sh"

BIN=
for b in "${MARQUEE_BIN:-}" "$ROOT/target/release/marquee" "$ROOT/target/debug/marquee"; do
  [[ -n $b && -x $b ]] && { BIN=$b; break; }
done
[[ -n $BIN ]] || { echo "no marquee binary (make build)" >&2; exit 1; }
export MARQUEE_DATABASE_URL=sqlite://$OUT/guard.db
export MARQUEE_SITE_ROOT=${MARQUEE_SITE_ROOT:-$ROOT/target/site}
export MARQUEE_PUBLIC_URL=$URL
rm -f "$OUT"/guard.db*
"$BIN" demo --date 2026-11-23 >>"$OUT/setup.log" 2>&1
printf 'organiser-password-1\n' | "$BIN" user add organiser@example.org --password-stdin >>"$OUT/setup.log" 2>&1

SERVER_PID=
stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() { # start_server [ENV=VALUE ...]
  stop_server
  local hard want=65536
  hard=$(ulimit -Hn)
  [[ $hard != unlimited ]] && (( hard < want )) && want=$hard
  ( ulimit -n "$want"; exec "${SERVER_PIN[@]}" env "$@" "$BIN" serve --addr "127.0.0.1:$PORT" ) >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null "$URL/healthz"
  log "server $SERVER_PID up ($*)"
}

{
  echo "date: $(date -Is)"
  echo "nproc: $(nproc); cpu: $(lscpu | sed -n 's/^Model name: *//p'); kernel: $(uname -r)"
  echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- app server || echo ' (+ uncommitted changes)')"
  echo "pinning: server on CPUs ${SERVER_CPUS:-any}; attack and probe on CPUs ${ATTACK_CPUS:-any}, attack at nice $ATTACK_NICE"
  echo "binary: $BIN ($(stat -c '%y' "$BIN" | cut -d. -f1)); python: $("$PY" -V | cut -d' ' -f2)"
} | tee "$OUT/machine.txt" >&2

probe() { "${ATTACK_PIN[@]}" "$PY" "$HERE/guard_attack.py" probe --url "$URL/e/demo/status" --seconds "$PROBE_SECONDS" --json "$1"; }

for phase in $PHASES; do
  case $phase in
    login) start_server ;;
    login-open) start_server MARQUEE_LOGIN_PER_IP_PER_MINUTE=1000000 MARQUEE_LOGIN_PER_ACCOUNT_PER_HOUR=100000000 ;;
    slowloris) start_server ;;
    *) log "unknown phase $phase"; continue ;;
  esac
  wait_quiet "$phase"
  log "$phase: idle probe"
  probe "$OUT/$phase-idle.json" | tee -a "$OUT/run.log" >&2
  log "$phase: attack for ${ATTACK_SECONDS}s"
  case $phase in
    login|login-open)
      "${ATTACK_PIN[@]}" nice -n "$ATTACK_NICE" "$PY" "$HERE/guard_attack.py" login --port "$PORT" --clients 64 --seconds "$ATTACK_SECONDS" \
        --json "$OUT/$phase-attack.json" >>"$OUT/run.log" 2>&1 & ;;
    slowloris)
      ( ulimit -n "$(ulimit -Hn)"; exec "${ATTACK_PIN[@]}" nice -n "$ATTACK_NICE" "$PY" "$HERE/guard_attack.py" slowloris --port "$PORT" --conns 5000 \
        --seconds "$ATTACK_SECONDS" --json "$OUT/$phase-attack.json" ) >>"$OUT/run.log" 2>&1 & ;;
  esac
  ATTACK=$!
  sleep 8   # let it ramp up (the slow connections all connected, the hashing pool full)
  log "$phase: probe under attack (server threads $(ls /proc/$SERVER_PID/task | wc -l), fds $(ls /proc/$SERVER_PID/fd | wc -l))"
  probe "$OUT/$phase-attacked.json" | tee -a "$OUT/run.log" >&2
  log "$phase: server fds at the end of the probe: $(ls /proc/$SERVER_PID/fd | wc -l)"
  wait "$ATTACK" || true
  log "$phase: attack: $(cat "$OUT/$phase-attack.json")"
done
stop_server

"$PY" - "$OUT" $PHASES <<'PY' | tee "$OUT/summary.md"
import json, sys, os
out, phases = sys.argv[1], sys.argv[2:]
print("| phase | idle p50 | idle p99 | attacked p50 | attacked p99 | p99 ratio | probe errors | attack |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for p in phases:
    try:
        i = json.load(open(os.path.join(out, f"{p}-idle.json")))
        a = json.load(open(os.path.join(out, f"{p}-attacked.json")))
        k = json.load(open(os.path.join(out, f"{p}-attack.json")))
    except OSError:
        continue
    print(f"| {p} | {i['p50_ms']} | {i['p99_ms']} | {a['p50_ms']} | {a['p99_ms']} | {a['p99_ms'] / i['p99_ms']:.2f} "
          f"| {a['errors']} | {json.dumps(k)} |")
PY
log "done; results in $OUT"
