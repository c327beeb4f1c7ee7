#!/usr/bin/env bash
# Starts a real marquee (debug build from `make dev`) on a fresh SQLite file
# with the demo conference on a fixed date and one organiser account.
set -euo pipefail
cd "$(dirname "$0")"
port="$1"
root="$(cd .. && pwd)"
bin="$root/target/debug/marquee"  # built by `make dev` (the Rust tests' build)
tmp="$(pwd)/.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
export MARQUEE_DATABASE_URL="sqlite://$tmp/e2e.db"
export MARQUEE_SITE_ROOT="$root/target/site"
"$bin" demo --date "${MARQUEE_E2E_DATE:-2026-11-23}" >&2
printf 'organiser-password-1\n' | "$bin" user add organiser@example.org --password-stdin >&2
"$bin" token create --name e2e > "$tmp/token"
# The suite signs the same organiser in many times a minute from one
# address: lift the sign-in throttle (server/tests/guard.rs tests it).
export MARQUEE_LOGIN_PER_IP_PER_MINUTE=${MARQUEE_LOGIN_PER_IP_PER_MINUTE:-600}
export MARQUEE_LOGIN_PER_ACCOUNT_PER_HOUR=${MARQUEE_LOGIN_PER_ACCOUNT_PER_HOUR:-6000}
# Pages of earlier tests keep their live streams open (contexts stay open
# for the whole run), all from 127.0.0.1: more than the per-address default.
export MARQUEE_SSE_PER_IP=${MARQUEE_SSE_PER_IP:-10000}
# webhooks.spec.ts points webhooks at a receiver it starts on loopback.
export MARQUEE_WEBHOOK_ALLOW_LOOPBACK=${MARQUEE_WEBHOOK_ALLOW_LOOPBACK:-1}
# The monitors spec points a monitor at a server the test starts on
# 127.0.0.1 (server/tests/monitor.rs tests the refusal without it).
export MARQUEE_MONITOR_ALLOW_LOOPBACK=${MARQUEE_MONITOR_ALLOW_LOOPBACK:-1}
# A loopback SMTP server keeping every message as JSON in $tmp/mail
# (email.spec.ts reads them): mail is on, as in a real deployment.
smtp_port=$((port + 1000))
# It watches this shell's PID, which `exec` hands to the server: it exits
# when the server is stopped.
"$root/tools/venv/bin/python" "$root/tools/smtp_sink.py" --port "$smtp_port" --dir "$tmp/mail" \
  --watch-pid $$ >&2 &
export MARQUEE_SMTP_URL="smtp://127.0.0.1:$smtp_port?tls=none"
export MARQUEE_MAIL_FROM="Marquee <status@marquee.test>"
exec "$bin" serve --addr "127.0.0.1:$port"
