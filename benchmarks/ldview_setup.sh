#!/usr/bin/env bash
# Optional step of benchmarks/render.py: build LDView's OSMesa (headless) build from its public
# source, with Debian packages only, into ~/.cache/ldscene-bench/ldview. Idempotent: a finished
# build is left alone.
#
#   benchmarks/ldview_setup.sh [SOURCE]
#
# SOURCE: an LDView checkout or a git dir (default: clone https://github.com/tcobbs/ldview).
# Needs: apt-get install g++ make libosmesa6-dev libgl2ps-dev libtinyxml2-dev libminizip-dev \
#          libpng-dev libjpeg-dev zlib1g-dev libegl-dev libglu1-mesa-dev
set -euo pipefail

DEST="${LDSCENE_BENCH_CACHE:-$HOME/.cache/ldscene-bench}/ldview"
BIN="$DEST/OSMesa/ldview"
if [[ -x "$BIN" ]]; then
    echo "$BIN"
    exit 0
fi

missing=()
for pkg in g++ make libosmesa6-dev libgl2ps-dev libtinyxml2-dev libminizip-dev libpng-dev \
    libjpeg-dev zlib1g-dev libegl-dev libglu1-mesa-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "missing Debian packages: apt-get install ${missing[*]}" >&2
    exit 1
fi

SOURCE="${1:-https://github.com/tcobbs/ldview}"
if [[ ! -d "$DEST/OSMesa" ]]; then
    rm -rf "$DEST"
    mkdir -p "$(dirname "$DEST")"
    if [[ -d "$SOURCE" && -f "$SOURCE/HEAD" && ! -d "$SOURCE/.git" ]]; then
        # a bare git dir (e.g. a mirror): export its HEAD
        mkdir -p "$DEST"
        git --git-dir="$SOURCE" archive HEAD | tar -x -C "$DEST"
    else
        git clone --depth 1 "$SOURCE" "$DEST"
    fi
fi

# The OSMesa makefile builds LDView's own libraries (TCFoundation, TRE, LDLoader, LDLib,
# LDExporter) and links them with the system's OSMesa, gl2ps, tinyxml2, minizip, png and jpeg.
make -C "$DEST/OSMesa" -j"$(nproc)" >"$DEST/build.log" 2>&1 || {
    tail -30 "$DEST/build.log" >&2
    echo "LDView build failed; full log: $DEST/build.log" >&2
    exit 1
}
test -x "$BIN"
echo "$BIN"
