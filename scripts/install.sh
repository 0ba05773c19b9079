#!/usr/bin/env bash
# Install ldscene into ./.venv, with the system libraries headless rendering needs.
#   scripts/install.sh        the tool
#   scripts/install.sh test   also what the test suite needs (Xvfb, xdotool, ImageMagick, pytest,
#                             and Ray for the render-farm tests: the `cluster` extra)
# Debian/Ubuntu packages: Mesa's EGL (software GL on any CPU) and libGL/libXrender, which
# `import pyrender` loads even offscreen, and a libLLVM for the path engine (Mitsuba 3 on
# the CPU). Elsewhere install the equivalents yourself.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libopengl0 libxrender1 libglu1-mesa)
extras=""
if [ "${1:-}" = "test" ]; then
    packages+=(xvfb xauth x11-utils xdotool imagemagick)
    extras="[test,cluster]"
fi

if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    # The path engine's CPU variant (Mitsuba's LLVM backend) needs libLLVM 16 or newer; Mesa's
    # libLLVM 15 crashes it.  Take the newest the distribution has.
    for version in 20 19 18 17 16; do
        if apt-cache show "libllvm$version" >/dev/null 2>&1; then
            packages+=("libllvm$version")
            break
        fi
    done
    echo "installing system packages: ${packages[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
    echo "no apt-get: install Mesa EGL/GL (and for tests Xvfb) with your package manager" >&2
fi

echo "installing ldscene into .venv"
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
# Byte-compile the package as a regular `pip install` does: an editable install otherwise
# compiles every module at each start where bytecode cannot be written (a read-only checkout,
# PYTHONDONTWRITEBYTECODE), 0.1 s of every command.
.venv/bin/python -m compileall -q src/ldscene
echo "done: activate with  . .venv/bin/activate"
