#!/usr/bin/env bash
# Tools for the page and terminal tests: headless Chromium (the timeline page is loaded and checked
# in a real browser), graphviz (`runnable graph --format svg` uses its `dot` when installed) and
# tmux (live progress is read back from a real terminal).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
chromium --version
dot -V
tmux -V
