#!/usr/bin/env bash
# RSS of one server process through two crowds of N SSE clients: before, connected,
# closed, 5/15/30 s later, and a second crowd (is the memory reused?).
# usage: bench/sse_memory.sh BIN [N]   (BIN: a marquee binary; site at target/site)
BIN=$1; N=${2:-5000}; PORT=3390
D=$(mktemp -d); export MARQUEE_DATABASE_URL=sqlite://$D/m.db MARQUEE_SITE_ROOT=${MARQUEE_SITE_ROOT:-$(dirname "$0")/../target/site} MARQUEE_SSE_PER_IP=1000000
$BIN demo --date 2026-11-23 >/dev/null 2>&1
TOKEN=$($BIN token create --name b 2>/dev/null); export MARQUEE_TOKEN=$TOKEN
(ulimit -n 20000; exec $BIN serve --addr 127.0.0.1:$PORT) > $D/log 2>&1 &
PID=$!
for i in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:$PORT/healthz 2>/dev/null && break; sleep 0.1; done
INC=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"x","body":"x","components":["all-streams"]}' http://127.0.0.1:$PORT/api/v1/events/demo/incidents | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
(ulimit -n 20000; python3 $(dirname "$0")/sse_fanout.py --port $PORT --incident $INC --pid $PID -n $N --procs 2 --updates 3) 2>&1 | grep -E "RSS|AGGREGATE"
for s in 5 10 15; do sleep $s; echo "+$s s: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$PID/status)"; done
# a second crowd: is the memory reused?
(ulimit -n 20000; python3 $(dirname "$0")/sse_fanout.py --port $PORT --incident $INC --pid $PID -n $N --procs 2 --updates 1) 2>&1 | grep -E "RSS"
kill $PID; wait $PID 2>/dev/null; rm -rf $D
