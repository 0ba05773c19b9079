"""Load benchmark: `ldscene info MODEL --json` against ldraw2mesh (load + instanced geometry).

    python benchmarks/load.py [-n 5] [--peer-only] [MODEL ...]

Per model, N alternating rounds of: ldscene cold (XDG_CACHE_HOME = a fresh empty dir),
ldscene warm (a cache populated by one unmeasured run first), and ldraw2mesh's `load_scene` +
`build_jobs` (its Rust core, ldr_tools, loads the file and builds per-part instanced geometry).
Each is a whole process, timed from here; medians are printed with ratios and peak RSS.
Bars: cold <= 3x ldraw2mesh, warm <= 1.5x ldraw2mesh, peak RSS < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import _bench as b

COLD_BAR, WARM_BAR, PEAK_BAR_MB = 3.0, 1.5, 1024.0

L2M_SNIPPET = """
import sys, ldraw2mesh
from ldraw2mesh.scene import build_jobs
scene = ldraw2mesh.load_scene(sys.argv[1], ldraw_library=sys.argv[2])
jobs = build_jobs(scene)
print(len(jobs), sum(j.transforms.shape[0] for j in jobs),
      sum(j.triangles.shape[0] * j.transforms.shape[0] for j in jobs))
"""


def ldraw2mesh_run(model: Path, library: Path, workdir: Path, env: dict[str, str]) -> b.Run:
    link = b.lower_case_link(model, workdir)
    cmd = [sys.executable, "-c", L2M_SNIPPET, str(link), str(library)]
    return b.checked(b.measure(cmd, env=env, cwd=workdir), f"ldraw2mesh on {model.name}")


def ldscene_run(model: Path, env: dict[str, str]) -> b.Run:
    cmd = [*b.ldscene_cmd(), "info", str(model), "--json"]
    return b.checked(b.measure(cmd, env=env), f"ldscene info on {model.name}")


def ldscene_cold(model: Path, env: dict[str, str]) -> b.Run:
    cold_env = b.fresh_cache_env(env, "ldbench_cold_")
    try:
        return ldscene_run(model, cold_env)
    finally:
        shutil.rmtree(cold_env["XDG_CACHE_HOME"], ignore_errors=True)


def summary_line(run: b.Run) -> str:
    """A few numbers from `ldscene info --json`, to show what was loaded (best effort)."""
    try:
        info = json.loads(run.stdout)
    except ValueError:
        return "(output is not JSON)"
    if not isinstance(info, dict):
        return ""
    keys = [k for k in info if isinstance(info[k], (int, float)) and not isinstance(info[k], bool)]
    return ", ".join(f"{k}={info[k]}" for k in keys[:6])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("models", nargs="*", type=Path, help="LDraw files (default: 3 large OMR sets)")
    ap.add_argument("-n", "--runs", type=int, default=5, help="rounds per model (default 5)")
    ap.add_argument("--peer-only", action="store_true", help="measure only ldraw2mesh")
    args = ap.parse_args()
    models = args.models or b.default_models()
    b.byte_compile()
    library = b.find_library()
    env = dict(os.environ, LDRAWDIR=str(library))
    workdir = b.scratch_dir("ldbench_l2m_")
    warm_cache = b.scratch_dir("ldbench_warm_")
    warm_env = dict(env, XDG_CACHE_HOME=str(warm_cache))
    print(f"library: {library}   runs: {args.runs}   (medians of whole-process runs)")
    print(b.load_warning() + "\n")

    rows, cpu_rows, failures = [], [], []
    for model in models:
        if not model.is_file():
            sys.exit(f"no such model: {model}")
        peer, cold, warm = [], [], []
        if not args.peer_only:
            first = ldscene_run(model, warm_env)  # populates the warm cache, unmeasured
            print(f"{model.name}: ldscene info {summary_line(first)}", file=sys.stderr)
        for _ in range(args.runs):
            peer.append(ldraw2mesh_run(model, library, workdir, env))
            if not args.peer_only:
                cold.append(ldscene_cold(model, env))
                warm.append(ldscene_run(model, warm_env))
        counts = peer[0].stdout.split()
        print(
            f"{model.name}: ldraw2mesh jobs/instances/triangles = {'/'.join(counts)}",
            file=sys.stderr,
        )
        p_t = b.median([r.wall_s for r in peer])
        p_m = max(r.peak_mb for r in peer)
        row = [b.short_name(model), f"{p_t:.2f}", f"{p_m:.0f}"]
        cpu_row = [b.short_name(model), f"{b.median([r.cpu_s for r in peer]):.2f}"]
        if not args.peer_only:
            c_t, w_t = b.median([r.wall_s for r in cold]), b.median([r.wall_s for r in warm])
            c_m = max(r.peak_mb for r in cold)
            w_m = max(r.peak_mb for r in warm)
            row += [
                f"{c_t:.2f}",
                f"{w_t:.2f}",
                b.ratio(c_t, p_t),
                b.ratio(w_t, p_t),
                f"{c_m:.0f}",
                f"{w_m:.0f}",
            ]
            ok = c_t <= COLD_BAR * p_t and w_t <= WARM_BAR * p_t and max(c_m, w_m) < PEAK_BAR_MB
            row.append("ok" if ok else "FAIL")
            if not ok:
                failures.append(model.name)
            cpu_row += [f"{b.median([r.cpu_s for r in runs]):.2f}" for runs in (cold, warm)]
        rows.append(row)
        cpu_rows.append(cpu_row)

    headers = ["model", "l2m s", "l2m MB"]
    if not args.peer_only:
        headers += ["cold s", "warm s", "cold/l2m", "warm/l2m", "cold MB", "warm MB", "bar"]
    b.print_table(headers, rows)
    print("\nCPU seconds (user + system; less sensitive to other load; ldraw2mesh uses threads)")
    b.print_table(["model", "l2m cpu", "cold cpu", "warm cpu"][: len(cpu_rows[0])], cpu_rows)
    if not args.peer_only:
        print(
            f"\nbars: cold <= {COLD_BAR}x l2m, warm <= {WARM_BAR}x l2m, peak RSS < 1 GB"
            f" (MB = peak RSS, max over runs)"
        )
        if failures:
            print(f"over the bar: {', '.join(failures)}")
            sys.exit(1)


if __name__ == "__main__":
    main()
