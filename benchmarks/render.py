"""Render benchmark: `ldscene render` against LeoCAD 21.06 and LDView (OSMesa build).

    python benchmarks/render.py [-n 5] [--peers leocad,ldview] [--keep DIR] [MODEL ...]
    python benchmarks/render.py --baseline OTHER/src --peers none   # before/after a change

Per model, N rounds in which the tools take turns: ldscene cold (XDG_CACHE_HOME = a fresh
empty dir), ldscene warm (a cache that one unmeasured run filled), LeoCAD cold and warm (same
rule: LeoCAD keeps a library index, and Mesa a shader cache, under XDG_CACHE_HOME) and LDView
warm (it keeps no cache of its own; Mesa's shader cache is warm), all at 1024x768 with each
tool's default look, each a whole process timed from here:

    ldscene render MODEL -o out.png --width 1024 --height 768
    xvfb-run -a leocad -l LIB -i out.png -w 1024 -h 768 MODEL
    ldview MODEL -SaveSnapshot=out.png -SaveWidth=1024 -SaveHeight=768 -LDrawDir=LIB

LeoCAD cannot render without an X server, so its time includes xvfb-run's start of Xvfb.
LDView is the binary that benchmarks/ldview_setup.sh builds (or --ldview PATH).
The medians of ldscene's per-stage seconds (`--timings`) are printed too.  `--baseline SRC`
adds "base cold": the same cold run with another checkout's src folder first on PYTHONPATH,
and says whether its image is byte for byte ours.

Bars (issue 12): cold ldscene <= 1.0x warm LeoCAD and <= 1.0x LDView on the large models;
<= 1.5x the faster peer on small ones (SMALL_MODELS, where Python's start-up dominates).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import _bench as b

WIDTH, HEIGHT = 1024, 768
LARGE_BAR, SMALL_BAR = 1.0, 1.5
SMALL_MODELS = ("6879-1 - Blizzard Baron.mpd",)
LDVIEW_BUILD = Path.home() / ".cache" / "ldscene-bench" / "ldview" / "OSMesa" / "ldview"
PEERS = ("leocad", "ldview")


def default_models() -> list[Path]:
    """The three large OMR models and the small one the bars are set on."""
    return [*b.default_models(), *(b.MODELS_DIR / name for name in SMALL_MODELS)]


def image_run(cmd: list[str], out: Path, env: dict[str, str], what: str) -> b.Run:
    """A timed whole process that must succeed and write the image `out`."""
    out.unlink(missing_ok=True)
    run = b.checked(b.measure(cmd, env=env), what)
    if not out.is_file() or out.stat().st_size == 0:
        sys.exit(f"{what} wrote no image:\n{(run.stdout + run.stderr)[-2000:]}")
    return run


def leocad_cmd(model: Path, library: Path, out: Path) -> list[str]:
    size = ["-w", str(WIDTH), "-h", str(HEIGHT)]
    return ["xvfb-run", "-a", "leocad", "-l", str(library), "-i", str(out), *size, str(model)]


def ldview_cmd(ldview: Path, model: Path, library: Path, out: Path) -> list[str]:
    return [
        str(ldview),
        str(model),
        f"-SaveSnapshot={out}",
        f"-SaveWidth={WIDTH}",
        f"-SaveHeight={HEIGHT}",
        f"-LDrawDir={library}",
    ]


def ldscene_cmd(model: Path, out: Path, extra: list[str]) -> list[str]:
    size = ["--width", str(WIDTH), "--height", str(HEIGHT)]
    return [*b.ldscene_cmd(), "render", str(model), "-o", str(out), *size, *extra, "--timings"]


def run_cold(cmd: list[str], out: Path, env: dict[str, str], what: str) -> b.Run:
    """`cmd` with `env` plus a fresh XDG_CACHE_HOME, deleted afterwards."""
    cold = b.fresh_cache_env(env, "ldbench_cold_")
    try:
        return image_run(cmd, out, cold, what)
    finally:
        shutil.rmtree(cold["XDG_CACHE_HOME"], ignore_errors=True)


def parse_timings(text: str) -> dict[str, float]:
    """Per-stage seconds from ldscene's `timings: load 0.98 s, mesh 0.55 s, ...` line."""
    for line in text.splitlines():
        if line.startswith("timings:"):
            stages = {}
            for item in line.removeprefix("timings:").split(","):
                name, _, value = item.strip().rpartition(" ")[0].rpartition(" ")
                stages[name] = float(value)
            return stages
    return {}


def find_ldview(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if LDVIEW_BUILD.is_file():
        return LDVIEW_BUILD
    found = shutil.which("ldview")
    return Path(found) if found else None


def bar_for(model: Path) -> float:
    return SMALL_BAR if model.name in SMALL_MODELS else LARGE_BAR


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("models", nargs="*", type=Path, help="LDraw files (default: the 4 bar models)")
    ap.add_argument("-n", "--runs", type=int, default=5, help="rounds per model (default 5)")
    ap.add_argument(
        "--peers", default=",".join(PEERS), help="comma-separated peers: leocad, ldview, or none"
    )
    ap.add_argument("--ldscene-only", action="store_true", help="measure only ldscene (no bars)")
    ap.add_argument("--peer-only", action="store_true", help="measure only the peers")
    ap.add_argument("--ldview", type=Path, help=f"LDView binary (default {LDVIEW_BUILD})")
    ap.add_argument("--baseline", type=Path, help="another checkout's src folder to compare")
    ap.add_argument("--keep", type=Path, help="copy each tool's last image of each model here")
    ap.add_argument(
        "--ldscene-args", default="", help='extra `ldscene render` options, e.g. "--aa 1"'
    )
    args = ap.parse_args()
    extra = shlex.split(args.ldscene_args)
    peers = [] if args.ldscene_only else [p for p in args.peers.split(",") if p and p != "none"]
    if unknown := set(peers) - set(PEERS):
        sys.exit(f"unknown peer(s): {', '.join(sorted(unknown))} (known: {', '.join(PEERS)})")
    ours = not args.peer_only
    if "leocad" in peers and (shutil.which("leocad") is None or shutil.which("xvfb-run") is None):
        sys.exit("needs leocad and xvfb-run (Debian: apt-get install leocad xvfb)")
    ldview = find_ldview(args.ldview) if "ldview" in peers else None
    if "ldview" in peers and (ldview is None or not os.access(ldview, os.X_OK)):
        sys.exit("needs LDView's OSMesa build: run benchmarks/ldview_setup.sh (or --ldview PATH)")

    models = args.models or default_models()
    b.byte_compile(*([args.baseline] if args.baseline else []))
    library = b.find_library()
    work = b.scratch_dir("ldbench_render_")
    runtime = work / "xdg_runtime"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, LDRAWDIR=str(library), XDG_RUNTIME_DIR=str(runtime))
    warm = {
        tool: dict(env, XDG_CACHE_HOME=str(b.scratch_dir(f"ldbench_warm_{tool}_")))
        for tool in ("ldscene", *peers)
    }
    print(f"library: {library}   runs: {args.runs}   size: {WIDTH}x{HEIGHT}   (medians)")
    if ldview is not None:
        print(f"ldview: {ldview}")
    if extra:
        print(f"ldscene render extra options: {' '.join(extra)}")
    print(b.load_warning() + "\n")

    # Each variant: (label, tool, command maker, cold?); a command maker takes the output path.
    variants: list[tuple[str, str, Callable[[Path], list[str]], bool]] = []
    rows, cpu_rows, stage_rows, failures = [], [], [], []
    for model in models:
        if not model.is_file():
            sys.exit(f"no such model: {model}")
        variants = []
        if ours:
            make = lambda out, m=model: ldscene_cmd(m, out, extra)  # noqa: E731
            variants += [("ld cold", "ldscene", make, True), ("ld warm", "ldscene", make, False)]
            if args.baseline is not None:
                src = f"PYTHONPATH={args.baseline.resolve()}"
                make = lambda out, m=model, s=src: ["env", s, *ldscene_cmd(m, out, extra)]  # noqa: E731
                variants.insert(0, ("base cold", "baseline", make, True))
        if "leocad" in peers:
            make = lambda out, m=model: leocad_cmd(m, library, out)  # noqa: E731
            variants += [("leo cold", "leocad", make, True), ("leo warm", "leocad", make, False)]
        if "ldview" in peers:
            make = lambda out, m=model: ldview_cmd(ldview, m, library, out)  # noqa: E731
            variants += [("ldview", "ldview", make, False)]
        tool_of = {label: tool for label, tool, _, _ in variants}
        outs = {label: work / f"{tool}.png" for label, tool, _, _ in variants}
        for label, _, make, cold in variants:  # fill each warm cache, unmeasured
            if not cold:
                image_run(make(outs[label]), outs[label], warm[tool_of[label]], label)
        runs: dict[str, list[b.Run]] = {label: [] for label, _, _, _ in variants}
        for _ in range(args.runs):
            for label, _, make, cold in variants:
                what = f"{label} on {model.name}"
                if cold:
                    runs[label].append(run_cold(make(outs[label]), outs[label], env, what))
                else:
                    cache_env = warm[tool_of[label]]
                    runs[label].append(image_run(make(outs[label]), outs[label], cache_env, what))
        if "base cold" in outs:
            same = outs["base cold"].read_bytes() == outs["ld cold"].read_bytes()
            print(f"{model.name}: baseline image {'identical' if same else 'DIFFERS'}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for label, out in outs.items():
                shutil.copy(out, args.keep / f"{model.stem}.{tool_of[label]}.png")

        wall = {label: b.median([r.wall_s for r in rs]) for label, rs in runs.items()}
        row = [b.short_name(model), *(f"{wall[label]:.2f}" for label in runs)]
        tools = sorted(set(tool_of.values()))
        mb = {
            t: max(r.peak_mb for k, rs in runs.items() if tool_of[k] == t for r in rs)
            for t in tools
        }
        cpu_rows.append(
            [
                b.short_name(model),
                *(f"{b.median([r.cpu_s for r in rs]):.2f}" for rs in runs.values()),
            ]
        )
        peer_times = {"leocad": wall.get("leo warm"), "ldview": wall.get("ldview")}
        peer_times = {k: v for k, v in peer_times.items() if v is not None}
        if ours and peer_times:
            ours_s = wall["ld cold"]
            row += [b.ratio(ours_s, peer_times[p]) for p in peer_times]
            bar = bar_for(model)
            if model.name in SMALL_MODELS:
                ok = ours_s <= bar * min(peer_times.values())
            else:
                ok = all(ours_s <= bar * t for t in peer_times.values())
            row.append(("ok" if ok else "FAIL") + f" ({bar:g}x)")
            if not ok:
                failures.append(model.name)
        row += [f"{mb[t]:.0f}" for t in tools]
        rows.append(row)
        if ours:
            for label in (k for k in ("base cold", "ld cold", "ld warm") if k in runs):
                stages = [parse_timings(r.stderr) for r in runs[label]]
                names = list(stages[0]) if stages and stages[0] else []
                medians = {k: b.median([s.get(k, float("nan")) for s in stages]) for k in names}
                stage_rows.append((f"{b.short_name(model, 30)} ({label})", medians))

    labels = [label for label, _, _, _ in variants]
    headers = ["model", *(f"{label} s" for label in labels)]
    if ours and peers:
        headers += [f"cold/{p}" for p in peers] + ["bar"]
    headers += [f"{t} MB" for t in tools]
    b.print_table(headers, rows)
    print("\nCPU seconds (user + system, incl. Xvfb for LeoCAD; less sensitive to other load)")
    b.print_table(["model", *labels], cpu_rows)
    if stage_rows:
        names = list(dict.fromkeys(k for _, st in stage_rows for k in st))
        print("\nldscene stages (median seconds, as `--timings` reports them)")
        b.print_table(
            ["model", *names],
            [[m, *(f"{st.get(k, float('nan')):.2f}" for k in names)] for m, st in stage_rows],
        )
    print(b.load_warning())
    if ours and peers:
        print(
            f"\nbars: ldscene cold <= {LARGE_BAR:g}x each peer (large models), <= {SMALL_BAR:g}x"
            " the faster peer (small); LeoCAD warm, LDView warm (MB = peak RSS, max over runs)"
        )
        if failures:
            print(f"over the bar: {', '.join(failures)}")
            sys.exit(1)


if __name__ == "__main__":
    main()
