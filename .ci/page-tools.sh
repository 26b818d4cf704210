#!/usr/bin/env bash
# Tools for the page tests: headless Chromium (the timeline page is loaded and checked in a real
# browser) and graphviz (`runnable graph --format svg` uses its `dot` when installed).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
chromium --version
dot -V
