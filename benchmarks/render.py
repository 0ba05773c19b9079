"""Render benchmark: `ldscene render` against LeoCAD's headless image export.

    python benchmarks/render.py [-n 5] [--peer-only] [--keep DIR] [MODEL ...]

Per model, N alternating rounds of: ldscene cold (XDG_CACHE_HOME = a fresh empty dir), ldscene
warm (a cache populated by one unmeasured run), LeoCAD cold and LeoCAD warm (same cache rule:
LeoCAD keeps a library index, and Mesa a shader cache, under XDG_CACHE_HOME), all at
1024x768, each a whole process timed from here. LeoCAD runs as
`xvfb-run -a leocad -l LIB -i out.png -w 1024 -h 768 MODEL` (Debian's leocad 21.06; xvfb-run's
start of a virtual X server is part of its time: LeoCAD cannot render without one).
The medians of ldscene's per-stage seconds are printed too: all stages if `ldscene render` has
a `--timings` flag, else the render seconds of its `wrote ...` summary line.
Bar: cold ldscene render <= 2x LeoCAD (warm LeoCAD, its usual state).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import _bench as b

BAR = 2.0
WIDTH, HEIGHT = 1024, 768


def leocad_run(model: Path, library: Path, out: Path, env: dict[str, str]) -> b.Run:
    cmd = [
        "xvfb-run",
        "-a",
        "leocad",
        "-l",
        str(library),
        "-i",
        str(out),
        "-w",
        str(WIDTH),
        "-h",
        str(HEIGHT),
        str(model),
    ]
    run = b.checked(b.measure(cmd, env=env), f"LeoCAD on {model.name}")
    if not out.is_file() or out.stat().st_size == 0:
        sys.exit(f"LeoCAD wrote no image for {model.name}:\n{run.stderr[-2000:]}")
    return run


def ldscene_has_timings() -> bool:
    """Whether `ldscene render` offers per-stage timings (`--timings`)."""
    res = subprocess.run([*b.ldscene_cmd(), "render", "--help"], capture_output=True, text=True)
    return res.returncode == 0 and "--timings" in res.stdout


def ldscene_run(
    model: Path, out: Path, timings: bool, extra: list[str], env: dict[str, str]
) -> b.Run:
    cmd = [
        *b.ldscene_cmd(),
        "render",
        str(model),
        "-o",
        str(out),
        "--width",
        str(WIDTH),
        "--height",
        str(HEIGHT),
    ]
    cmd += extra
    if timings:
        cmd.append("--timings")
    run = b.checked(b.measure(cmd, env=env), f"ldscene render on {model.name}")
    if not out.is_file() or out.stat().st_size == 0:
        sys.exit(f"ldscene render wrote no image for {model.name}")
    return run


PAIR_RE = re.compile(r"([A-Za-z][\w:]*)\s*[:=]?\s*([0-9]+(?:\.[0-9]+)?)\s*s\b")
WROTE_RE = re.compile(r"^wrote .*, ([0-9]+(?:\.[0-9]+)?) s\)\s*$", re.M)


def parse_timings(text: str, flag: bool) -> dict[str, float]:
    """Per-stage seconds from ldscene's output.

    With `--timings`: a JSON object (optionally under "timings") or `name 0.41 s` pairs on
    lines that start with "timings" or hold one pair each. Without it: the render seconds
    of the `wrote PATH (WxH, view, 3.7 s)` summary line.
    """
    if not flag:
        found = WROTE_RE.findall(text)
        return {"render": float(found[-1])} if found else {}
    lines = [ln.strip() for ln in text.replace("\r", "\n").splitlines()]
    for line in lines:
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            data = data.get("timings", data) if isinstance(data, dict) else {}
            return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}
    stages: dict[str, float] = {}
    for line in lines:
        if line.lower().startswith("timings") or PAIR_RE.fullmatch(line):
            pairs = PAIR_RE.finditer(line)
            stages.update((m.group(1).rstrip(":"), float(m.group(2))) for m in pairs)
    return stages


def run_cold(fn: Callable[..., b.Run], env: dict[str, str], *args: object) -> b.Run:
    """`fn(*args, env')`, env' = `env` plus a fresh, afterwards deleted, XDG_CACHE_HOME."""
    cold = b.fresh_cache_env(env, "ldbench_cold_")
    try:
        return fn(*args, cold)
    finally:
        shutil.rmtree(cold["XDG_CACHE_HOME"], ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("models", nargs="*", type=Path, help="LDraw files (default: 3 large OMR sets)")
    ap.add_argument("-n", "--runs", type=int, default=5, help="rounds per model (default 5)")
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--peer-only", action="store_true", help="measure only LeoCAD")
    only.add_argument(
        "--ldscene-only", action="store_true", help="measure only ldscene (no LeoCAD, no bar)"
    )
    ap.add_argument("--keep", type=Path, help="copy the last images of each tool into this dir")
    ap.add_argument(
        "--ldscene-args",
        default="",
        help='extra `ldscene render` options, e.g. "--aa 1 --no-shadows"',
    )
    args = ap.parse_args()
    extra = shlex.split(args.ldscene_args)
    peer, ours = not args.ldscene_only, not args.peer_only
    if peer and (shutil.which("leocad") is None or shutil.which("xvfb-run") is None):
        sys.exit("needs leocad and xvfb-run (Debian: apt-get install leocad xvfb)")
    models = args.models or b.default_models()
    library = b.find_library()
    work = b.scratch_dir("ldbench_render_")
    runtime = work / "xdg_runtime"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, LDRAWDIR=str(library), XDG_RUNTIME_DIR=str(runtime))
    warm_ld = dict(env, XDG_CACHE_HOME=str(b.scratch_dir("ldbench_warm_ld_")))
    warm_leo = dict(env, XDG_CACHE_HOME=str(b.scratch_dir("ldbench_warm_leo_")))
    timings = ours and ldscene_has_timings()
    print(
        f"library: {library}   runs: {args.runs}   size: {WIDTH}x{HEIGHT}"
        f"   (medians of whole-process runs)"
    )
    if extra:
        print(f"ldscene render extra options: {' '.join(extra)}")
    print(b.load_warning() + "\n")

    rows, cpu_rows, stage_rows, failures = [], [], [], []
    for model in models:
        if not model.is_file():
            sys.exit(f"no such model: {model}")
        leo_png, ld_png = work / "leocad.png", work / "ldscene.png"
        if peer:
            leocad_run(model, library, leo_png, warm_leo)  # populates LeoCAD's cache, unmeasured
        if ours:
            ldscene_run(model, ld_png, timings, extra, warm_ld)  # populates ldscene's cache
        leo_cold, leo_warm, ld_cold, ld_warm = [], [], [], []
        for _ in range(args.runs):
            if ours:
                ld_cold.append(run_cold(ldscene_run, env, model, ld_png, timings, extra))
            if peer:
                leo_cold.append(run_cold(leocad_run, env, model, library, leo_png))
            if ours:
                ld_warm.append(ldscene_run(model, ld_png, timings, extra, warm_ld))
            if peer:
                leo_warm.append(leocad_run(model, library, leo_png, warm_leo))
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            if peer:
                shutil.copy(leo_png, args.keep / f"{model.stem}.leocad.png")
            if ours:
                shutil.copy(ld_png, args.keep / f"{model.stem}.ldscene.png")

        row, groups = [b.short_name(model)], []
        if peer:
            lc, lw = b.median([r.wall_s for r in leo_cold]), b.median([r.wall_s for r in leo_warm])
            lm = max(r.peak_mb for r in leo_cold + leo_warm)
            row += [f"{lc:.2f}", f"{lw:.2f}", f"{lm:.0f}"]
            groups += [leo_cold, leo_warm]
        if ours:
            dc, dw = b.median([r.wall_s for r in ld_cold]), b.median([r.wall_s for r in ld_warm])
            dm = max(r.peak_mb for r in ld_cold + ld_warm)
            row += [f"{dc:.2f}", f"{dw:.2f}", f"{dm:.0f}"]
            groups += [ld_cold, ld_warm]
        cpu_rows.append(
            [b.short_name(model), *(f"{b.median([r.cpu_s for r in g]):.2f}" for g in groups)]
        )
        if peer and ours:
            ok = dc <= BAR * lw
            row += [b.ratio(dc, lw), b.ratio(dw, lw), "ok" if ok else "FAIL"]
            if not ok:
                failures.append(model.name)
        if ours:
            for label, runs in (("cold", ld_cold), ("warm", ld_warm)):
                stages = [parse_timings(r.stdout + "\n" + r.stderr, timings) for r in runs]
                names = [k for k in stages[0]] if stages and stages[0] else []
                if names:
                    stage_rows.append(
                        (
                            f"{b.short_name(model, 30)} ({label})",
                            {k: b.median([s.get(k, float("nan")) for s in stages]) for k in names},
                        )
                    )
        rows.append(row)

    headers, cpu_headers = ["model"], ["model"]
    if peer:
        headers += ["leo cold s", "leo warm s", "leo MB"]
        cpu_headers += ["leo cold", "leo warm"]
    if ours:
        headers += ["ld cold s", "ld warm s", "ld MB"]
        cpu_headers += ["ld cold", "ld warm"]
    if peer and ours:
        headers += ["cold/leo", "warm/leo", "bar"]
    b.print_table(headers, rows)
    print("\nCPU seconds (user + system, incl. Xvfb for LeoCAD; less sensitive to other load)")
    b.print_table(cpu_headers, cpu_rows)
    if stage_rows:
        names = list(dict.fromkeys(k for _, st in stage_rows for k in st))
        print("\nldscene stages (median seconds, as ldscene reports them)")
        b.print_table(
            ["model", *names],
            [[m, *(f"{st.get(k, float('nan')):.2f}" for k in names)] for m, st in stage_rows],
        )
    if peer and ours:
        print(
            f"\nbar: ldscene cold <= {BAR}x LeoCAD warm; ratios are against LeoCAD warm"
            " (MB = peak RSS, max over runs)"
        )
        if failures:
            print(f"over the bar: {', '.join(failures)}")
            sys.exit(1)


if __name__ == "__main__":
    main()
