#!/usr/bin/env bash
# Headless Chromium for the page tests (the timeline page is loaded and checked in a real browser).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
chromium --version
