#!/usr/bin/env bash
# HTTP throughput/latency of Marquee vs nginx serving the same bytes.
#
# Needs a running Marquee (bench/run.sh starts one) at $MARQUEE_URL.
# For each of GET /e/$EVENT/status (HTML) and /e/$EVENT/api/v2/summary.json,
# identity and `Accept-Encoding: gzip`, runs
#     wrk -t$THREADS -c$CONNS -d$DURATION --latency
# against Marquee, then fetches the two responses with curl into a temp dir,
# serves them from a throw-away foreground nginx on 127.0.0.1:$NGINX_PORT
# (worker_processes 2, access_log off, gzip level 6 on the fly like
# tower-http's default level, plus a gzip_static variant) and runs the same
# wrk against it.  Prints a Markdown table (also written to $OUT/http.md).
# Loopback only, fixed durations; the trap stops nginx on any exit.
# SERVER_CPUS / LOAD_CPUS (taskset core lists, optional): nginx on the
# former (one worker per listed core; Marquee is pinned by whoever started
# it), wrk on the latter.
set -euo pipefail

MARQUEE_URL=${MARQUEE_URL:-http://127.0.0.1:3200}
EVENT=${EVENT:-demo}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
NGINX_PORT=${NGINX_PORT:-3201}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(mktemp -d /tmp/bench-http.XXXXXX)}
mkdir -p "$OUT"
SERVER_CPUS=${SERVER_CPUS:-}
LOAD_CPUS=${LOAD_CPUS:-}
SERVER_PIN=() LOAD_PIN=() NGINX_WORKERS=2
[[ -n $SERVER_CPUS ]] && { SERVER_PIN=(taskset -c "$SERVER_CPUS"); NGINX_WORKERS=$(taskset -c "$SERVER_CPUS" nproc); }
[[ -n $LOAD_CPUS ]] && LOAD_PIN=(taskset -c "$LOAD_CPUS")

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk nginx curl)" >&2; exit 1; }
done
curl -fsS -o /dev/null "$MARQUEE_URL/healthz" || {
  echo "no Marquee at $MARQUEE_URL (start one, or use bench/run.sh)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/bench-nginx.XXXXXX)
NGINX_PID=
cleanup() {
  if [[ -n $NGINX_PID ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the same bytes, as static files ----------------------------------------
mkdir -p "$WORK/www" "$WORK/tmp" "$WORK/logs"
curl -fsS -o "$WORK/www/status.html" "$MARQUEE_URL/e/$EVENT/status"
curl -fsS -o "$WORK/www/summary.json" "$MARQUEE_URL/e/$EVENT/api/v2/summary.json"
for f in status.html summary.json; do gzip -6 -k -n "$WORK/www/$f"; done
chmod -R a+rX "$WORK"

cat >"$WORK/nginx.conf" <<EOF
# foreground, self-contained: nginx -p $WORK -c nginx.conf
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  types { text/html html; application/json json; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    # on-the-fly gzip, like Marquee's CompressionLayer
    location / {
      gzip on; gzip_comp_level 6; gzip_min_length 32; gzip_vary on;
      gzip_types application/json;
    }
    # pre-compressed files: the best case for a static server
    location /static/ {
      alias $WORK/www/;
      gzip_static on; gzip_vary on;
    }
  }
}
EOF
nginx -t -q -p "$WORK" -c "$WORK/nginx.conf"
"${SERVER_PIN[@]}" nginx -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/summary.json" 2>/dev/null && break; sleep 0.1; done

# --- sanity: same bytes, same encodings ---------------------------------------
{
  echo "# response check (status, content-type, content-encoding, bytes)"
  for enc in identity gzip; do
    for u in "$MARQUEE_URL/e/$EVENT/status" "http://127.0.0.1:$NGINX_PORT/status.html" \
             "$MARQUEE_URL/e/$EVENT/api/v2/summary.json" "http://127.0.0.1:$NGINX_PORT/summary.json" \
             "http://127.0.0.1:$NGINX_PORT/static/status.html" "http://127.0.0.1:$NGINX_PORT/static/summary.json"; do
      [[ $enc == identity && $u == */static/* ]] && continue
      curl -sS -o /dev/null -H "Accept-Encoding: $enc" \
        -w "$enc %{http_code} %{content_type} enc=%header{content-encoding} %{size_download} $u\n" "$u"
    done
  done
} | tee "$OUT/responses.txt"

# --- CPU accounting -------------------------------------------------------------
# The machine is shared: before each wrk run wait (up to $QUIET_MAX s) until
# CPU use is below $QUIET_BUSY %, and during each run measure how much CPU went
# to processes other than wrk, Marquee and nginx ("other CPU", in % of all
# cores).  Runs with much other CPU are not comparable.
QUIET_MAX=${QUIET_MAX:-300}
QUIET_BUSY=${QUIET_BUSY:-30}
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
MARQUEE_PID=${MARQUEE_PID:-$(ss -ltnpH "sport = :${MARQUEE_URL##*:}" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)}
busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }
pids_ticks() { local t=0 p f; for p in "$@"; do f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) && t=$(( t + $(awk '{print $12+$13}' <<<"$f") )); done; echo $t; }
server_pids() { echo "$MARQUEE_PID" "$NGINX_PID" $(pgrep -P "$NGINX_PID" 2>/dev/null); }
cpu_busy_pct() {
  local a b; a=$(busy_ticks); sleep 2; b=$(busy_ticks)
  echo $(( 100 * (b - a) / (2 * HZ * NCPU) ))
}
wait_quiet() {
  local start=$SECONDS busy
  while busy=$(cpu_busy_pct); (( busy >= QUIET_BUSY )); do
    (( SECONDS - start > QUIET_MAX )) && { echo "   WARNING: machine still ${busy}% busy; measuring anyway"; return; }
    sleep 5
  done
}

# --- wrk ----------------------------------------------------------------------
# run NAME URL ENCODING -> appends "NAME rps=.. p50_ms=.. ... other_cpu_pct=.." to $OUT/results.txt
run() {
  local name=$1 url=$2 enc=$3 log="$OUT/wrk-$1.log"
  local hdr=()
  [[ $enc == gzip ]] && hdr=(-H "Accept-Encoding: gzip")
  wait_quiet
  echo "== $name: wrk -t$THREADS -c$CONNS -d$DURATION ${hdr[*]} $url  (load before: $(cut -d' ' -f1-3 /proc/loadavg))" | tee "$log"
  local b0 s0 t0 b1 s1 t1 w other
  b0=$(busy_ticks); s0=$(pids_ticks $(server_pids)); t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$OUT/time-$name" \
    "${LOAD_PIN[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/wrk_report.lua" "${hdr[@]}" "$url" >>"$log" 2>&1
  b1=$(busy_ticks); s1=$(pids_ticks $(server_pids)); t1=$(date +%s.%N)
  w=$(awk -v hz="$HZ" '{printf "%d", ($1+$2)*hz}' "$OUT/time-$name")
  other=$(awk -v d=$(( (b1-b0) - (s1-s0) - w )) -v t0="$t0" -v t1="$t1" -v hz="$HZ" -v n="$NCPU" \
    'BEGIN { v = 100*d/((t1-t0)*hz*n); if (v < 0) v = 0; printf "%.1f", v }')
  echo "   server CPU $(( (s1-s0) / HZ )) s, wrk CPU $(( w / HZ )) s, other CPU ${other}%" | tee -a "$log"
  grep -E 'Requests/sec|Latency  |Non-2xx|Socket errors|50%|99%' "$log" | sed 's/^/   /'
  echo "$name $(grep '^RESULT' "$log" | cut -d' ' -f2-) other_cpu_pct=$other" >>"$OUT/results.txt"
  sleep 2
}
: >"$OUT/results.txt"
M=$MARQUEE_URL/e/$EVENT
N=http://127.0.0.1:$NGINX_PORT
run marquee-status-identity "$M/status" identity
run nginx-status-identity "$N/status.html" identity
run marquee-status-gzip "$M/status" gzip
run nginx-status-gzip "$N/status.html" gzip
run nginx_static-status-gzip "$N/static/status.html" gzip
run marquee-summary-identity "$M/api/v2/summary.json" identity
run nginx-summary-identity "$N/summary.json" identity
run marquee-summary-gzip "$M/api/v2/summary.json" gzip
run nginx-summary-gzip "$N/summary.json" gzip
run nginx_static-summary-gzip "$N/static/summary.json" gzip

# --- table --------------------------------------------------------------------
python3 - "$OUT/results.txt" "$THREADS" "$CONNS" "$DURATION" >"$OUT/http.md" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    rows[name] = {k: float(v) for k, v in (x.split("=") for x in kv)}
t, c, d = sys.argv[2:5]
print(f"wrk -t{t} -c{c} -d{d}, loopback; latency in ms; errors = connect+read+write+timeout, non-2xx = status errors;")
print("other CPU = CPU used by unrelated processes during the run, in % of all cores (should be ~0)\n")
print("| page | encoding | server | req/s | p50 | p99 | max | errors | non-2xx | other CPU % | marquee/nginx req/s |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for page, label in (("status", "/e/demo/status (HTML)"), ("summary", "/e/demo/api/v2/summary.json")):
    for enc in ("identity", "gzip"):
        m = rows.get(f"marquee-{page}-{enc}")
        for srv in ("marquee", "nginx", "nginx_static"):
            r = rows.get(f"{srv}-{page}-{enc}")
            if not r:
                continue
            err = int(r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"])
            ratio = "" if srv == "marquee" or not m else f"{m['rps'] / r['rps']:.3f}"
            name = {"marquee": "marquee", "nginx": "nginx" + (" (gzip on, level 6)" if enc == "gzip" else ""),
                    "nginx_static": "nginx (gzip_static)"}[srv]
            print(f"| {label} | {enc} | {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
                  f"| {r['max_ms']:.2f} | {err} | {int(r['err_status'])} | {r['other_cpu_pct']:.1f} | {ratio} |")
PY
echo
cat "$OUT/http.md"
echo "(logs in $OUT)"
