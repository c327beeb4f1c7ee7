#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh machine of
# this kind (Debian + rustup + node/npm), and nothing that is already there.
# Idempotent: a second run takes a few seconds.
#   scripts/setup.sh build   – the wasm32 Rust target; sass, wasm-opt, esbuild (npm)
#   scripts/setup.sh test    – the above plus Chromium, Firefox ESR, xmllint,
#                              Playwright, puppeteer-core, the Python tools
#                              (schemathesis among them) and cargo-deny
#   scripts/setup.sh bench   – the above plus wrk (bench/http.sh, guard.sh,
#                              rolling.sh)
# The site needs no cargo-installed tool: it is built by `cargo xtask site`
# (xtask/), which links the wasm-bindgen library at the version in
# Cargo.lock. `make lint` needs cargo-deny, installed here for `test` only:
# compiling it takes about 5 CPU-minutes (50 minutes of wall time on a
# shared 2-core machine), once.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-build}"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34msetup:\033[0m %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ ! -x tools/node_modules/.bin/sass ] || [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -x tools/node_modules/.bin/esbuild ]; then
  say "installing sass, wasm-opt and esbuild from npm into tools/"
  (cd tools && npm ci --no-audit --no-fund)
fi

[ "$what" = test ] || [ "$what" = bench ] || exit 0

apt_need=()
command -v chromium >/dev/null || apt_need+=(chromium)
command -v xmllint >/dev/null || apt_need+=(libxml2-utils)
command -v firefox-esr >/dev/null || apt_need+=(firefox-esr)
python3 -c 'import venv' 2>/dev/null || apt_need+=(python3-venv)
# The two-instance test runs a throw-away nginx (as this user, on a test port).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || apt_need+=(nginx-light)
[ "$what" != bench ] || command -v wrk >/dev/null || apt_need+=(wrk)
if [ ${#apt_need[@]} -gt 0 ]; then
  say "installing ${apt_need[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_need[@]}" >/dev/null
fi

if ! command -v cargo-deny >/dev/null; then
  say "installing cargo-deny (make lint checks licences, bans and sources; compiles once, several minutes)"
  cargo install cargo-deny --locked --version 0.20.2
fi

if [ ! -x tools/venv/bin/check-jsonschema ] || [ ! -x tools/venv/bin/st ] || ! tools/venv/bin/python -c 'import icalendar, aiohttp, http_ece, cryptography' 2>/dev/null; then
  say "installing check-jsonschema, icalendar, schemathesis and the push test tools into tools/venv"
  python3 -m venv tools/venv
  tools/venv/bin/pip install -q -r tools/requirements.txt
fi

if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/puppeteer-core ] \
  || [ ! -d end2end/node_modules/axe-core ]; then
  say "installing Playwright, puppeteer-core and axe-core (driving Debian's Chromium and Firefox ESR; no browser download)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
