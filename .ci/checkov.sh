#!/usr/bin/env bash
# Install checkov, which tests/compiler/test_checkov.py runs on the rendered Kubernetes and
# Argo manifests, into its own venv: checkov pins many packages, so it stays out of the
# project's .venv. A venv that already holds the pinned version is reused as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=.venv-checkov

installed() {
    "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("checkov") != sys.argv[1])' \
        "$CHECKOV_VERSION" 2>/dev/null && [ -x "$VENV/bin/checkov" ]
}

if installed; then
    echo "checkov $CHECKOV_VERSION present in $VENV"
    exit 0
fi
if ! python3 -c 'import ensurepip' 2>/dev/null; then  # Debian ships venv's pip separately
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input "checkov==$CHECKOV_VERSION"
installed
echo "checkov $CHECKOV_VERSION installed in $VENV"
