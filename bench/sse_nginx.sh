#!/usr/bin/env bash
# Does the live stream work through nginx as people deploy it: a plain
# `proxy_pass` with nginx's defaults (response buffering ON)? Marquee's
# `X-Accel-Buffering: no` should switch buffering off for /live alone.
#
# Needs a running Marquee at $MARQUEE_URL with the demo event and a token in
# $MARQUEE_TOKEN (bench/run.sh provides both). Starts a throw-away nginx on
# 127.0.0.1:$NGINX_PORT in front of it, follows /e/demo/live through it with
# curl, posts $N incident updates and prints, for each, the time from the
# POST to the frame arriving through the proxy. Loopback only; stops itself.
set -euo pipefail

MARQUEE_URL=${MARQUEE_URL:-http://127.0.0.1:3200}
NGINX_PORT=${NGINX_PORT:-3202}
N=${N:-5}
: "${MARQUEE_TOKEN:?set MARQUEE_TOKEN to a write-API token}"
upstream=${MARQUEE_URL#http://}

WORK=$(mktemp -d /tmp/bench-sse-nginx.XXXXXX)
NGINX_PID= CURL_PID=
cleanup() {
  [[ -n $CURL_PID ]] && kill "$CURL_PID" 2>/dev/null || true
  [[ -n $NGINX_PID ]] && kill -QUIT "$NGINX_PID" 2>/dev/null || true
  sleep 0.2
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/logs" "$WORK/tmp"
cat >"$WORK/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp; uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://$upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 1h;
    }
  }
}
EOF
nginx -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" 2>/dev/null && break; sleep 0.1; done

# Each line of the stream, stamped with the time it came out of the proxy.
curl -sN "http://127.0.0.1:$NGINX_PORT/e/demo/live" |
  while IFS= read -r line; do printf '%s %s\n' "$(date +%s%N)" "$line"; done >"$WORK/stream" &
CURL_PID=$!
for _ in $(seq 50); do grep -q 'event: hello' "$WORK/stream" 2>/dev/null && break; sleep 0.1; done
grep -q 'event: hello' "$WORK/stream" || { echo "no hello frame through nginx" >&2; exit 1; }

api=$MARQUEE_URL/api/v1/events/demo
id=$(curl -fsS -H "Authorization: Bearer $MARQUEE_TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Through nginx","body":"x","impact":"minor"}' "$api/incidents" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 1
echo "SSE through nginx (default proxy buffering), POST → frame out of the proxy:"
worst=0
for i in $(seq "$N"); do
  before=$(grep -c 'event: incident' "$WORK/stream" || true)
  t0=$(date +%s%N)
  curl -fsS -o /dev/null -H "Authorization: Bearer $MARQUEE_TOKEN" -H 'content-type: application/json' \
    -d "{\"status\":\"identified\",\"body\":\"update $i\"}" "$api/incidents/$id/updates"
  for _ in $(seq 300); do
    (( $(grep -c 'event: incident' "$WORK/stream" || true) > before )) && break
    sleep 0.01
  done
  t1=$(grep 'event: incident' "$WORK/stream" | sed -n "$((before + 1))p" | cut -d' ' -f1)
  [[ -n $t1 ]] || { echo "  update $i: NOT received within 3 s" >&2; exit 1; }
  ms=$(( (t1 - t0) / 1000000 ))
  (( ms > worst )) && worst=$ms
  echo "  update $i: ${ms} ms"
  sleep 0.5
done
curl -fsS -o /dev/null -H "Authorization: Bearer $MARQUEE_TOKEN" -H 'content-type: application/json' \
  -d '{"status":"resolved","body":"done"}' "$api/incidents/$id/updates"
echo "worst: ${worst} ms"
