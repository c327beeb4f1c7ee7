#!/usr/bin/env bash
# Runs each cargo-fuzz target (fuzz/fuzz_targets/) for SECONDS (default 60)
# and prints executions, time and new corpus entries per target.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them. No sanitizer: the code forbids `unsafe`, so what
# the fuzzer looks for is panics (overflow checks are on), hangs and
# runaway memory; AddressSanitizer would double the build and slow every
# execution for nothing. The repository's corpus (fuzz/corpus/TARGET) is
# read as seeds; what a run finds goes to a scratch folder, so the kept
# corpus stays small. A crash is written to fuzz/artifacts/TARGET/ and
# fails the run.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(c3voc_json c3voc_xml shift_input push_subscription)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

cargo fuzz build --sanitizer none --release
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
printf '%-18s %12s %8s %10s %s\n' target executions seconds exec/s result
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  if cargo fuzz run --sanitizer none --release "$t" "$scratch/$t" "corpus/$t" -- \
      -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
      -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see fuzz/artifacts/$t/)"
    status=1
    grep -E 'panicked|ERROR|Test unit written' "$log" | head -5 >&2
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  took=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' | tail -1 || true)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  printf '%-18s %12s %8s %10s %s\n' "$t" "${runs:-?}" "${took:-$secs}" "${rate:-?}" "$result"
done
exit "$status"
