# Sourced by the bench scripts: wait for the shared 2-core machine (cargo
# builds, other runs) to be quiet before measuring. Needs the caller's
# `log`, `$OUT`, `$QUIET_BUSY` (percent) and `$QUIET_MAX` (seconds); sets
# `QUIET_BUSY_WAS` to the busy percent measured last, for the results.

# CPU busy percent over 3 s, from /proc/stat
cpu_busy() {
  local a b
  a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
  local idle=$(( (b[4]+b[5]) - (a[4]+a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( 100 * (total - idle) / (total > 0 ? total : 1) ))
}

wait_quiet() {
  local start=$SECONDS
  while :; do
    QUIET_BUSY_WAS=$(cpu_busy)
    if (( QUIET_BUSY_WAS < QUIET_BUSY )); then log "machine quiet (cpu busy ${QUIET_BUSY_WAS}%) before $1"; return; fi
    if (( SECONDS - start > QUIET_MAX )); then
      log "WARNING: machine still busy (${QUIET_BUSY_WAS}%) before $1 after ${QUIET_MAX}s; measuring anyway"
      ps -eo pid,pcpu,comm --sort=-pcpu | head -6 >>"$OUT/run.log"
      return
    fi
    sleep 10
  done
}
