"""Choosing and starting Mitsuba 3's variant: CUDA on an NVIDIA GPU, else LLVM on the CPU.

Mitsuba's LLVM variant compiles its kernels with a system libLLVM that Dr.Jit finds at run
time.  Debian's Mesa pulls in libLLVM 15, with which Mitsuba's path tracer aborts
("Cannot select ... fminimum"); libLLVM 16 and newer work.  So unless the user pinned one
with `DRJIT_LIBLLVM_PATH`, the newest libLLVM on the usual library paths is pinned before
Dr.Jit starts, and a machine with only older ones gets a one-line error saying what to
install.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import re
from functools import cache

from ldscene.choice import Choice
from ldscene.errors import LdsceneError

#: The oldest libLLVM major version Mitsuba's LLVM variant runs with.
MIN_LLVM = 16
_LIB_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/opt/homebrew/opt/llvm/lib",
    "/usr/local/opt/llvm/lib",
)
_INSTALL_HINT = (
    "install libLLVM 16 or newer (Debian/Ubuntu: apt-get install libllvm19), or set "
    "DRJIT_LIBLLVM_PATH to one"
)


class Device(Choice):
    """Where the path engine runs: `auto` takes the GPU when there is a usable one."""

    __what__ = "path-engine device"
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


def llvm_version(path: str) -> int:
    """The major version in a libLLVM file name (`libLLVM-15.so.1`, `libLLVM.so.19.1`), or 0."""
    match = re.search(r"libLLVM(?:-(\d+)|\.so\.(\d+)|\.(\d+)\.dylib)", os.path.basename(path))
    if not match:
        return 0
    return int(next(g for g in match.groups() if g))


def find_llvm() -> str | None:
    """The newest libLLVM (at least `MIN_LLVM`) on the usual library paths, or None."""
    found = []
    for folder in _LIB_DIRS:
        for path in glob.glob(os.path.join(folder, "libLLVM*")):
            if os.path.isfile(path) and llvm_version(path) >= MIN_LLVM:
                found.append((llvm_version(path), path))
    return max(found)[1] if found else None


def _pin_llvm() -> None:
    if os.environ.get("DRJIT_LIBLLVM_PATH"):
        if not os.path.isfile(os.environ["DRJIT_LIBLLVM_PATH"]):
            raise LdsceneError(
                f"DRJIT_LIBLLVM_PATH={os.environ['DRJIT_LIBLLVM_PATH']} does not exist",
                hint=_INSTALL_HINT,
            )
        return
    path = find_llvm()
    if path is None:
        raise LdsceneError(
            "the path engine found no usable LLVM library for the CPU", hint=_INSTALL_HINT
        )
    os.environ["DRJIT_LIBLLVM_PATH"] = path


def _has_cuda_driver() -> bool:
    return ctypes.util.find_library("cuda") is not None or os.path.exists(
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1"
    )


MITSUBA_HINT = (
    "pip install 'mitsuba>=3.9' (wheels: CPython 3.10-3.14 on x86-64 Linux, macOS and "
    "Windows), or use --engine raster"
)


def import_mitsuba():
    """`import mitsuba`, or a one-line error saying how to install it."""
    try:
        import mitsuba
    except ImportError as err:
        raise LdsceneError(
            f"the path engine needs Mitsuba 3, which cannot be imported ({err})",
            hint=MITSUBA_HINT,
        ) from None
    return mitsuba


@cache
def start(device: Device = Device.AUTO) -> str:
    """Set Mitsuba's variant for `device`; returns the variant's name.  Done once a process."""
    mi = import_mitsuba()
    if device is not Device.CPU and (device is Device.CUDA or _has_cuda_driver()):
        try:
            mi.set_variant("cuda_ad_rgb")
            return "cuda_ad_rgb"
        except (ImportError, RuntimeError, AttributeError) as err:
            if device is Device.CUDA:
                # Dr.Jit's message names its internals when no CUDA device is there at all.
                why = "no CUDA GPU or driver found" if "jit_init" in str(err) else str(err)
                raise LdsceneError(
                    f"the path engine cannot use the GPU: {why}",
                    hint="use --device cpu, or install NVIDIA's driver",
                ) from None
    _pin_llvm()
    try:
        mi.set_variant("llvm_ad_rgb")
    except (ImportError, RuntimeError, AttributeError) as err:
        raise LdsceneError(
            f"the path engine cannot start Mitsuba's LLVM variant: {err}", hint=_INSTALL_HINT
        ) from None
    return "llvm_ad_rgb"
