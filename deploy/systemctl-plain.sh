#!/bin/sh
# A stand-in for `systemctl` on a box without systemd (a test machine, a
# container): it does for `marquee@PORT` what deploy/systemd/marquee@.service
# does, with plain processes, so that deploy/rolling-upgrade.sh runs as it is:
#
#   SYSTEMCTL=deploy/systemctl-plain.sh deploy/rolling-upgrade.sh RELEASE PORT...
#   deploy/systemctl-plain.sh start|stop|restart|is-active marquee@PORT
#
# Like the unit: the binary is $MARQUEE_HOME/current/marquee (default
# /opt/marquee) started as `marquee serve` with MARQUEE_ADDR=127.0.0.1:PORT
# and the settings of $MARQUEE_ENV_FILE (default /etc/marquee/marquee.env,
# KEY=VALUE lines, read by the shell: no quotes needed, none of ;&|$` in
# values), with at most 65536 open files; `stop` sends SIGTERM (the drain)
# and waits for the process to exit, SIGKILL after $TIMEOUT_STOP_SEC (30,
# the unit's TimeoutStopSec). Unlike the unit: nothing restarts a process
# that dies (no Restart=on-failure) and no sandboxing. The pid and the
# output of each instance are $MARQUEE_RUN_DIR/marquee@PORT.pid and .log
# (default $MARQUEE_HOME/run).
set -eu

verb=${1:?usage: systemctl-plain.sh start|stop|restart|is-active marquee@PORT}
unit=${2:?usage: systemctl-plain.sh start|stop|restart|is-active marquee@PORT}
port=${unit#marquee@}
case $port in
'' | *[!0-9]*)
    echo "systemctl-plain.sh: not a marquee@PORT unit: $unit" >&2
    exit 2
    ;;
esac
home=${MARQUEE_HOME:-/opt/marquee}
envfile=${MARQUEE_ENV_FILE:-/etc/marquee/marquee.env}
rundir=${MARQUEE_RUN_DIR:-$home/run}
stop_timeout=${TIMEOUT_STOP_SEC:-30}
pidfile=$rundir/$unit.pid
mkdir -p "$rundir"

# The instance's pid, if it is a running marquee (not a zombie, not a
# reused pid).
running() {
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
    [ "$state" != Z ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'marquee serve' || return 1
    echo "$pid"
}

stop() {
    pid=$(running) || { rm -f "$pidfile"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    # Poll in tenths of a second: the drain usually takes well under one.
    waited=0
    while running >/dev/null; do
        if [ "$waited" -ge $((stop_timeout * 10)) ]; then
            echo "$unit: still running ${stop_timeout}s after SIGTERM; SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$pidfile"
}

start() {
    if running >/dev/null; then return 0; fi
    [ -x "$home/current/marquee" ] || {
        echo "$unit: no executable $home/current/marquee" >&2
        exit 1
    }
    (
        if [ -f "$envfile" ]; then
            set -a
            # shellcheck disable=SC1090
            . "$envfile"
            set +a
        fi
        MARQUEE_ADDR=127.0.0.1:$port
        export MARQUEE_ADDR
        ulimit -n 65536 2>/dev/null || true
        # It outlives this script (and the terminal that ran it).
        trap '' HUP
        exec "$home/current/marquee" serve
    ) </dev/null >>"$rundir/$unit.log" 2>&1 &
    echo $! >"$pidfile"
}

case $verb in
start) start ;;
stop) stop ;;
restart)
    stop
    start
    ;;
is-active)
    if running >/dev/null; then echo active; else
        echo inactive
        exit 3
    fi
    ;;
*)
    echo "systemctl-plain.sh: unknown verb $verb" >&2
    exit 2
    ;;
esac
