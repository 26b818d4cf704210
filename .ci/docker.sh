#!/usr/bin/env bash
# Make a Docker engine, Compose v2 and the base image available for the container tests.
# Installs docker.io when missing and starts dockerd only when no daemon answers; the PID
# of a daemon started here is written to .ci/.dockerd-started so .ci/run stops only that.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dockerd >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
fi
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    setsid dockerd --host unix:///var/run/docker.sock --pidfile /var/run/docker.pid \
        >/tmp/runnable-ci-dockerd.log 2>&1 < /dev/null &
    echo $! > .dockerd-started
    for _ in $(seq 1 60); do
        docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
        sleep 0.5
    done
    docker version --format 'Docker engine {{.Server.Version}} started' || {
        tail -20 /tmp/runnable-ci-dockerd.log; exit 1; }
fi
bash ./compose-plugin.sh
bash ./base-image.sh runnable-base:local
