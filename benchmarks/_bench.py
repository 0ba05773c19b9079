"""Shared helpers for the benchmark scripts: library lookup, timed subprocesses, tables.

Every measurement is a whole process (interpreter start-up included) timed from the parent,
with peak RSS taken from `os.wait4`'s rusage: the largest resident set of the child or of any
descendant it waited for (so `xvfb-run leocad ...` reports LeoCAD's peak, not the shell's).
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MODELS_DIR = SHARED / "models" / "omr"
LIBRARY_ZIP = SHARED / "ldraw" / "complete.zip"
LARGE_MODELS = (
    "10179-1 - Millennium Falcon - UCS.mpd",
    "10030-1 - Imperial Star Destroyer - UCS.mpd",
    "6285 - Black Seas Barracuda.mpd",
)


def default_models() -> list[Path]:
    """The three large OMR models the bars are set on."""
    return [MODELS_DIR / name for name in LARGE_MODELS]


def scratch_dir(prefix: str) -> Path:
    """A temp dir removed at exit; its path is lower case (ldraw2mesh lower-cases paths)."""
    base = Path(tempfile.gettempdir())
    if str(base) != str(base).lower():
        base = Path("/tmp")
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    atexit.register(shutil.rmtree, path, True)
    return path


def find_library() -> Path:
    """$LDRAWDIR, else ../shared/ldraw/complete.zip unzipped into a temp dir."""
    env = os.environ.get("LDRAWDIR")
    if env:
        path = Path(env).expanduser()
        if not (path / "parts").is_dir():
            sys.exit(f"LDRAWDIR={env} has no parts/ folder")
        return path.resolve()
    if not LIBRARY_ZIP.is_file():
        sys.exit(f"LDRAWDIR is unset and {LIBRARY_ZIP} does not exist")
    dest = scratch_dir("ldbench_lib_")
    print(f"LDRAWDIR unset: unzipping {LIBRARY_ZIP} into {dest} ...", file=sys.stderr)
    with zipfile.ZipFile(LIBRARY_ZIP) as zf:
        zf.extractall(dest)
    return dest / "ldraw" if (dest / "ldraw" / "parts").is_dir() else dest


@dataclass
class Run:
    """One whole-process measurement."""

    wall_s: float
    cpu_s: float  # user + system, of the process tree it waited for
    peak_mb: float
    rc: int
    stdout: str
    stderr: str


def measure(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600.0,
) -> Run:
    """Run `cmd` to completion; wall time and peak RSS (MB) of the process tree it waits for."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024.0,
        proc.returncode,
        stdout.decode(errors="replace"),
        stderr.decode(errors="replace"),
    )


def checked(run: Run, what: str) -> Run:
    """Exit with the tool's stderr if a run failed: a failed run's time means nothing."""
    if run.rc != 0:
        tail = "\n".join(run.stderr.strip().splitlines()[-15:])
        sys.exit(f"{what} failed (exit {run.rc}):\n{tail}")
    return run


def load_warning() -> str:
    """A note when other work competes for the CPUs (times then mean less)."""
    load1 = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    if load1 > 0.5 * cpus:
        return f"warning: load average {load1:.1f} on {cpus} CPUs: times are inflated and noisy"
    return f"load average {load1:.1f} on {cpus} CPUs"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "-"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain aligned text table (first column left-aligned, the rest right-aligned)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells)

    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))


def short_name(model: Path, width: int = 38) -> str:
    name = model.stem
    return name if len(name) <= width else name[: width - 1] + "…"


def fresh_cache_env(base: dict[str, str], prefix: str) -> dict[str, str]:
    """`base` with XDG_CACHE_HOME pointing at a new empty dir (a cold disk cache)."""
    env = dict(base)
    env["XDG_CACHE_HOME"] = str(scratch_dir(prefix))
    return env


def ldscene_cmd() -> list[str]:
    """The `ldscene` entry point next to this interpreter, else `python -m ldscene`."""
    exe = Path(sys.executable).with_name("ldscene")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ldscene"]


def byte_compile(*sources: Path) -> None:
    """Byte-compile ldscene's modules (this install's, and the `sources` folders of other
    checkouts) as `pip install` and `scripts/install.sh` leave them.

    An editable install compiles a module on its first import and keeps the .pyc; where
    PYTHONDONTWRITEBYTECODE is set (this sandbox sets it) nothing is kept, and every timed
    run would compile all of ldscene again (measured 0.1 s a run) - not what users run.
    """
    import compileall

    import ldscene

    for folder in (Path(ldscene.__file__).parent, *sources):
        if not compileall.compile_dir(folder, quiet=1):
            sys.exit(f"byte-compiling {folder} failed")


def lower_case_link(model: Path, workdir: Path) -> Path:
    """A lower-case symlink to `model` in `workdir` (ldraw2mesh lower-cases its input path)."""
    link = workdir / (model.name.lower().replace(" ", "_"))
    if not link.exists():
        link.symlink_to(model.resolve())
    return link
