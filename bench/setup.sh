#!/usr/bin/env bash
# Create the two git-ignored venvs the benchmarks compare:
#   bench/.venv-ours      this checkout, installed the way users install it (not editable:
#                         an editable install adds an import hook to every interpreter start)
#   bench/.venv-baseline  the published baseline, runnable==0.50.0 (created once)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
VENV="$BENCH_DIR/.venv-baseline"
OURS="$BENCH_DIR/.venv-ours"
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

PY="$(pick_python)"

# Ours is reinstalled every time, so the benchmark always measures this checkout.
[ -x "$OURS/bin/python" ] || "$PY" -m venv "$OURS"
"$OURS/bin/python" -m pip install --quiet --disable-pip-version-check "$REPO_DIR"
"$OURS/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$REPO_DIR"
echo "ours installed from $REPO_DIR -> $OURS"

if [ "$(installed_version)" = "0.50.0" ]; then
    echo "baseline already installed: $VENV ($BASELINE_SPEC)"
    exit 0
fi
echo "creating $VENV with $PY"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$BASELINE_SPEC"
echo "installed: $(installed_version) -> $VENV"
