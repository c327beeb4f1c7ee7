#!/usr/bin/env bash
# Runs schemathesis (property-based API testing) against a Marquee started
# here on loopback, with the demo conference and a bearer token, driven by
# the server's own /api/openapi.json. Fails on any 5xx (and on responses
# that break the declared status codes, content types or schemas).
#   scripts/schemathesis.sh [MAX_EXAMPLES]     (default 25 per operation)
# Needs the debug build (`make dev` / `cargo test --no-run`) and tools/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-${MARQUEE_SCHEMATHESIS_EXAMPLES:-25}}"
port="${MARQUEE_SCHEMATHESIS_PORT:-3291}"
bin=target/debug/marquee
[ -x "$bin" ] || cargo build -p server --bin marquee
dir="$(mktemp -d)"
db="sqlite://$dir/st.db"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

MARQUEE_DATABASE_URL="$db" "$bin" demo --date 2026-11-23 >/dev/null
token="$(MARQUEE_DATABASE_URL="$db" "$bin" token create --name schemathesis 2>/dev/null)"
# The anonymous rate limits are raised so the logic behind them is tested
# (the 429s themselves are documented and covered by server/tests/guard.rs).
MARQUEE_DATABASE_URL="$db" MARQUEE_ADDR="127.0.0.1:$port" MARQUEE_PUBLIC_URL="http://127.0.0.1:$port" \
  MARQUEE_ANON_WRITES_PER_MINUTE=100000 MARQUEE_SUBSCRIPTIONS_PER_IP_PER_HOUR=1000000 \
  RUST_LOG=warn "$bin" serve >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# Every example is sent to this loopback server only. The demo event's
# slug is fixed so the generated requests reach real data, not just 404s.
# Run from the scratch folder: schemathesis and hypothesis leave caches in
# the working directory.
root="$PWD"
status=0
(cd "$dir" && "$root/tools/venv/bin/st" --config-file "$root/tools/schemathesis.toml" run "http://127.0.0.1:$port/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" \
  --phases examples,coverage,fuzzing \
  --max-time 150 \
  --workers 1 \
  --request-timeout 10 \
  --generation-database none \
  --seed "${MARQUEE_SCHEMATHESIS_SEED:-20261130}" \
  --no-color \
  --report junit --report-dir "$dir/report") || status=$?
if grep -q -E 'panicked|internal error' "$dir/server.log"; then
  echo "schemathesis: the server logged errors:" >&2
  grep -E 'panicked|internal error' "$dir/server.log" | head -20 >&2
  status=1
fi
exit "$status"
