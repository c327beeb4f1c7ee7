#!/usr/bin/env bash
# `cargo deny check advisories` (RustSec). The database lives on GitHub; a
# machine that cannot reach it passes a local checkout of it:
#   MARQUEE_ADVISORY_DB=/path/to/advisory-db scripts/audit.sh
# Ignored advisories and why each does not apply: deny.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ -n "${MARQUEE_ADVISORY_DB:-}" ]; then
  # Where cargo-deny 0.20 looks for the default database when it may not
  # fetch: ~/.cargo/advisory-dbs/advisory-db-<hash of its URL>.
  dbs="$HOME/.cargo/advisory-dbs"
  mkdir -p "$dbs"
  ln -sfn "$(realpath "$MARQUEE_ADVISORY_DB")" "$dbs/advisory-db-3157b0e258782691"
  echo "audit: advisory database at $MARQUEE_ADVISORY_DB ($(git -C "$MARQUEE_ADVISORY_DB" log -1 --format='%h %cs' 2>/dev/null || echo 'not a git checkout'))" >&2
  exec cargo deny --offline check advisories
fi
exec cargo deny check advisories
