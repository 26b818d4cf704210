#!/usr/bin/env bash
# Create the git-ignored venvs the benchmarks compare:
#   bench/.venv-ours      this checkout, installed the way users install it (not editable:
#                         an editable install adds an import hook to every interpreter start)
#   bench/.venv-baseline  the published baseline, runnable==0.50.0 (created once)
#   bench/.venv-hera      hera (with its yaml extra), the Python SDK for Argo Workflows, for
#                         bench_argo.py (created once)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
VENV="$BENCH_DIR/.venv-baseline"
OURS="$BENCH_DIR/.venv-ours"
HERA="$BENCH_DIR/.venv-hera"
BASELINE_SPEC="runnable==0.50.0"
HERA_VERSION="7.1.0"

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

# installed_version VENV PACKAGE
# -I and cd /: the repository root holds our own runnable (and its egg-info),
# which would otherwise shadow the installed baseline.
installed_version() {
    (cd / && "$1/bin/python" -I -c \
        'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$2" 2>/dev/null) || true
}

PY="$(pick_python)"

# Ours is reinstalled every time, so the benchmark always measures this checkout.
[ -x "$OURS/bin/python" ] || "$PY" -m venv "$OURS"
"$OURS/bin/python" -m pip install --quiet --disable-pip-version-check "$REPO_DIR"
"$OURS/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$REPO_DIR"
echo "ours installed from $REPO_DIR -> $OURS"

# Every file of the package must reach the install, or commands that need them fail there
# while they work from the checkout. Warn, naming what is missing; do not patch it up.
missing="$(cd / && "$OURS/bin/python" -I - "$REPO_DIR" <<'PY'
import pathlib, sys
import runnable
installed = pathlib.Path(runnable.__file__).parent
source = pathlib.Path(sys.argv[1]) / "runnable"
for path in sorted(source.rglob("*")):
    if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts:
        relative = path.relative_to(source)
        if not (installed / relative).is_file():
            print(f"runnable/{relative}")
PY
)"
if [ -n "$missing" ]; then
    echo "WARNING: the installed package lacks these files of the checkout (package data in pyproject.toml?):" >&2
    echo "$missing" | sed 's/^/    /' >&2
fi

if [ "$(installed_version "$VENV" runnable)" = "0.50.0" ]; then
    echo "baseline already installed: $VENV ($BASELINE_SPEC)"
else
    echo "creating $VENV with $PY"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$BASELINE_SPEC"
    echo "installed: $(installed_version "$VENV" runnable) -> $VENV"
fi

if [ "$(installed_version "$HERA" hera)" = "$HERA_VERSION" ]; then
    echo "hera already installed: $HERA (hera==$HERA_VERSION)"
else
    echo "creating $HERA with $PY"
    "$PY" -m venv "$HERA"
    "$HERA/bin/python" -m pip install --quiet --disable-pip-version-check "hera[yaml]==$HERA_VERSION"
    echo "installed: hera $(installed_version "$HERA" hera) -> $HERA"
fi
