#!/usr/bin/env bash
# Create (idempotently) the git-ignored venv holding the published baseline,
# runnable==0.50.0, that bench_foundation.py compares our package against.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$BENCH_DIR/.venv-baseline"
BASELINE_SPEC="runnable==0.50.0"

# Resolve a real interpreter binary: version-manager shims add a process
# hop per call and would skew the whole-process timings.
pick_python() {
    local candidate resolved
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        resolved="$("$candidate" -c 'import sys; print(sys.executable)')"
        [ -x "$resolved" ] && { echo "$resolved"; return 0; }
    done
    echo "no python3 found" >&2
    return 1
}

# -I and cd /: the repository root holds our own runnable (and its egg-info),
# which would otherwise shadow the installed baseline.
installed_version() {
    (cd / && "$VENV/bin/python" -I -c \
        'import importlib.metadata as m; print(m.version("runnable"))' 2>/dev/null) || true
}

if [ "$(installed_version)" = "0.50.0" ]; then
    echo "baseline already installed: $VENV ($BASELINE_SPEC)"
    exit 0
fi

PY="$(pick_python)"
echo "creating $VENV with $PY"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$BASELINE_SPEC"
echo "installed: $(installed_version) -> $VENV"
