#!/usr/bin/env bash
# Blender's Python module (bpy 5.0.1) in its own venv, for the Cycles peer of benchmarks/photo.py.
#
# Why a separate venv: the bpy wheel is 374 MB (about 1 GB installed), needs Python 3.11 exactly
# and numpy<2, so it must never become a dependency of ldscene (not in pyproject.toml).
# Idempotent: does nothing when the venv already imports bpy 5.0.1.
#
#   benchmarks/cycles_setup.sh                 # venv in ~/.cache/ldscene-bench/bpy-venv
#   CYCLES_VENV=/some/dir benchmarks/cycles_setup.sh
#   PYTHON=python3.11 benchmarks/cycles_setup.sh
#
# Then: "$CYCLES_VENV/bin/python" benchmarks/cycles_render.py JOB.json
set -euo pipefail

BPY_VERSION="5.0.1"
VENV="${CYCLES_VENV:-$HOME/.cache/ldscene-bench/bpy-venv}"
PYTHON="${PYTHON:-python3}"

installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("bpy"))' 2>/dev/null
}

if [[ -x "$VENV/bin/python" ]] && [[ "$(installed_version || true)" == "$BPY_VERSION" ]]; then
    echo "bpy $BPY_VERSION already installed in $VENV"
    exit 0
fi

py_version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [[ "$py_version" != "3.11" ]]; then
    echo "bpy $BPY_VERSION needs Python 3.11; $PYTHON is $py_version (set PYTHON=...)" >&2
    exit 1
fi

start=$SECONDS
mkdir -p "$(dirname "$VENV")"
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "bpy==$BPY_VERSION" "numpy>=1.26,<2"
echo "bpy $(installed_version) installed in $VENV in $((SECONDS - start)) s"
