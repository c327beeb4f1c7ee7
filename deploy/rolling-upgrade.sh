#!/bin/sh
# Rolling upgrade of the marquee@PORT instances behind nginx, one at a time,
# so at least one always serves (see deploy/nginx/marquee.conf).
#
#   deploy/rolling-upgrade.sh /path/to/new-release [PORT...]
#
# The release folder holds the `marquee` binary and its `site/` (what `make
# dist` builds: target/dist/marquee and target/site). Ports default to 3001
# and 3002. For each instance: SIGTERM (systemctl stop; it drains within
# MARQUEE_DRAIN_SECS), start the new binary, wait until /healthz says it
# serves and reaches the database, then the next. The first new instance
# applies the release's migrations, which are expand-only (README.md,
# "Migrations"), so the old instances keep working meanwhile.
# Between two instances it waits SETTLE_SECS (default 3): nginx leaves an
# instance that refused connections alone for its fail_timeout (2 s in
# deploy/nginx/marquee.conf), and were the next one stopped meanwhile,
# nginx would have no instance to send to (502). Keep it above fail_timeout.
# Variables: MARQUEE_HOME (default /opt/marquee), HEALTH_TIMEOUT (s, 60),
# SETTLE_SECS (s, 3), SYSTEMCTL (default systemctl). Without systemd (a
# test box, a container), SYSTEMCTL=deploy/systemctl-plain.sh does the
# unit's steps with plain processes (bench/rolling.sh and the tests use it).
set -eu

release=${1:?usage: rolling-upgrade.sh RELEASE_DIR [PORT...]}
shift
[ $# -gt 0 ] || set -- 3001 3002
home=${MARQUEE_HOME:-/opt/marquee}
timeout=${HEALTH_TIMEOUT:-60}
settle=${SETTLE_SECS:-3}
systemctl=${SYSTEMCTL:-systemctl}

[ -x "$release/marquee" ] || { echo "no executable $release/marquee" >&2; exit 1; }
[ -d "$release/site" ] || { echo "no $release/site (the built assets)" >&2; exit 1; }

name=$(basename "$release")
mkdir -p "$home/releases"
if [ "$(cd "$release" && pwd)" != "$(cd "$home/releases" && pwd)/$name" ]; then
    rm -rf "$home/releases/$name.new"
    cp -a "$release" "$home/releases/$name.new"
    rm -rf "$home/releases/$name"
    mv "$home/releases/$name.new" "$home/releases/$name"
fi
previous=$(readlink "$home/current" 2>/dev/null || true)
# Switch the link atomically; running instances keep their open binary.
ln -sfn "$home/releases/$name" "$home/current.new"
mv -T "$home/current.new" "$home/current"
echo "current -> $home/releases/$name (was ${previous:-nothing})"

healthy() {
    curl -fsS --max-time 2 "http://127.0.0.1:$1/healthz" 2>/dev/null | grep -q '"database":"ok"'
}

first=1
for port in "$@"; do
    if [ "$first" = 1 ]; then first=0; else
        echo "waiting ${settle}s: nginx takes the restarted instance back"
        sleep "$settle"
    fi
    echo "marquee@$port: restarting"
    $systemctl restart "marquee@$port"
    waited=0
    until healthy "$port"; do
        if [ "$waited" -ge "$timeout" ]; then
            echo "marquee@$port is not healthy after ${timeout}s; stopping the upgrade" >&2
            echo "(the other instances still run the previous release; to go back:" >&2
            echo " ln -sfn ${previous:-PREVIOUS} $home/current && $systemctl restart marquee@$port)" >&2
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "marquee@$port: healthy"
done
echo "upgraded: $*"
