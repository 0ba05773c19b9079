"""Photo-real renders: `ldscene render --engine path` side by side with Blender Cycles.

Both render the same model, from the same camera, at the same size and sample count, on the
CPU, denoised with Intel Open Image Denoise.  Cycles gets the model as ldscene's own glTF
export in metres (instancing kept) and its camera from ldscene's framing, through
benchmarks/cycles_render.py in the bpy venv that benchmarks/cycles_setup.sh makes.  Whole
processes are timed from here, alternating between the tools; the tables show medians.

    python benchmarks/photo.py                       # King's Castle and the Stalingrad scene
    python benchmarks/photo.py -n 5 --samples 32     # more rounds, more samples
    python benchmarks/photo.py --no-cycles           # ldscene only
    python benchmarks/photo.py --keep /tmp/photos    # keep the images, to compare them
    python benchmarks/photo.py --converge            # hero camera: seed 1 vs seed 2

ldscene's stages come from `--timings`: load (parse, or compose a scene), translate (the
Mitsuba scene: merged meshes, materials, lights), render (path tracing) and denoise (OIDN,
tone mapping and compositing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _bench import (
    MODELS_DIR,
    REPO,
    checked,
    find_library,
    ldscene_cmd,
    load_warning,
    measure,
    median,
    print_table,
    ratio,
    scratch_dir,
)

CYCLES_VENV = Path(
    os.environ.get("CYCLES_VENV", Path.home() / ".cache" / "ldscene-bench" / "bpy-venv")
)
METRES_PER_LDU = 0.0004


@dataclass
class Case:
    path: Path
    width: int
    height: int
    camera: str | None = None  # a scene camera; None: the default view

    @property
    def name(self) -> str:
        return self.path.stem if not self.camera else f"{self.path.stem}:{self.camera}"

    def render_args(self) -> list[str]:
        args = [str(self.path), "--width", str(self.width), "--height", str(self.height)]
        return args + (["--camera", self.camera] if self.camera else [])


DEFAULT_CASES = (
    Case(MODELS_DIR / "6080 - Kings Castle.mpd", 1024, 768),
    Case(REPO / "scenes" / "stalingrad_stz.yaml", 1200, 900, "hero"),
)


def cycles_job(case: Case, glb: Path, out: Path, samples: int) -> dict:
    """The Cycles job for `case`: ldscene's own framing and floor, in glTF metres."""
    from ldscene.inputs import is_scene, load_input
    from ldscene.render.command import RenderRequest, build_options, build_views
    from ldscene.render.description import RenderDescription
    from ldscene.render.engines import EngineSettings
    from ldscene.render.meshes import build_model_meshes

    request = RenderRequest(
        input_path=case.path,
        width=case.width,
        height=case.height,
        cameras=[case.camera] if case.camera else [],
        engine=EngineSettings.parse("path"),
    )
    loaded = load_input(case.path)
    scene = loaded.scene if is_scene(case.path) else None
    options = build_options(request, scene)
    (view,) = build_views(request, scene, loaded.model)
    description = RenderDescription(build_model_meshes(loaded.model), options)
    frame = description.framing(view)
    pose = frame.pose.copy()
    pose[:3, 3] *= METRES_PER_LDU
    ground = description.ground
    return {
        "gltf": str(glb),
        "out": str(out),
        "width": case.width,
        "height": case.height,
        "samples": samples,
        "denoise": True,
        "camera": {
            "matrix": pose.tolist(),
            "yfov_degrees": float(np.degrees(frame.yfov)),
            "ortho": bool(frame.ortho),
        },
        "light": "studio",
        "ground_y": ground.y * METRES_PER_LDU if ground else None,
        "background": list(options.background),
    }


def ldscene_stages(stderr: str) -> dict[str, float]:
    """`timings: load 0.41 s, render:hero 30.2 s, ...` -> {"load": 0.41, "render": 30.2}."""
    line = next((ln for ln in stderr.splitlines() if ln.startswith("timings:")), "")
    return {
        name.split(":")[0]: float(seconds)
        for name, seconds in re.findall(r"([\w:]+) ([\d.]+) s", line)
    }


def mean_difference(a: Path, b: Path) -> float:
    from PIL import Image

    x = np.asarray(Image.open(a).convert("RGB"), np.float64)
    y = np.asarray(Image.open(b).convert("RGB"), np.float64)
    return float(np.abs(x - y).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", type=Path, help="models (default: castle, Stalingrad)")
    parser.add_argument("-n", "--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--no-cycles", action="store_true", help="ldscene only")
    parser.add_argument("--keep", type=Path, default=None, help="keep the images here")
    parser.add_argument("--converge", action="store_true", help="seed 1 vs seed 2 per model")
    args = parser.parse_args()

    env = dict(os.environ, LDRAWDIR=str(find_library()))
    os.environ["LDRAWDIR"] = env["LDRAWDIR"]
    cases = (
        [Case(p, args.width, args.height) for p in args.models] if args.models else DEFAULT_CASES
    )
    work = scratch_dir("ldbench_photo_")
    keep = args.keep or work
    keep.mkdir(parents=True, exist_ok=True)
    cycles_python = CYCLES_VENV / "bin" / "python"
    use_cycles = not args.no_cycles
    if use_cycles and not cycles_python.exists():
        sys.exit(f"no bpy venv at {CYCLES_VENV}: run benchmarks/cycles_setup.sh (or --no-cycles)")
    print(load_warning(), file=sys.stderr)

    rows, stage_rows, diff_rows = [], [], []
    for case in cases:
        slug = re.sub(r"\W+", "_", case.name).strip("_").lower()
        ours_png, theirs_png = keep / f"{slug}-ldscene.png", keep / f"{slug}-cycles.png"
        base = [*ldscene_cmd(), "render", *case.render_args(), "--engine", "path", "-q"]
        base += ["--samples", str(args.samples), "--timings"]
        checked(measure(base + ["-o", str(ours_png)], env=env), f"ldscene on {case.name}")  # warm
        job_file = work / f"{slug}.json"
        if use_cycles:
            glb = work / f"{slug}.glb"
            export = [*ldscene_cmd(), "export", str(case.path), "-o", str(glb), "--units", "m"]
            checked(measure(export, env=env), f"export of {case.name}")
            job_file.write_text(json.dumps(cycles_job(case, glb, theirs_png, args.samples)))
        ours, theirs, stages = [], [], []
        for _ in range(args.rounds):
            run = checked(measure(base + ["-o", str(ours_png)], env=env), "ldscene")
            ours.append(run)
            stages.append(ldscene_stages(run.stderr))
            if use_cycles:
                cmd = [str(cycles_python), str(REPO / "benchmarks" / "cycles_render.py")]
                theirs.append(checked(measure([*cmd, str(job_file)], env=env), "Cycles"))
        wall = median([r.wall_s for r in ours])
        row = [case.name, f"{wall:.1f} s", f"{median([r.peak_mb for r in ours]):.0f} MB"]
        if use_cycles:
            peer = median([r.wall_s for r in theirs])
            row += [f"{peer:.1f} s", f"{median([r.peak_mb for r in theirs]):.0f} MB"]
            row += [ratio(wall, peer)]
        rows.append(row)
        stage_rows.append(
            [case.name]
            + [
                f"{median([s.get(k, 0.0) for s in stages]):.2f} s"
                for k in ("load", "translate", "render", "denoise")
            ]
        )
        if args.converge:
            seeds = []
            for seed in (1, 2):
                out = keep / f"{slug}-seed{seed}.png"
                cmd = base + ["-o", str(out), "--seed", str(seed)]
                checked(measure(cmd, env=env), "ldscene")
                seeds.append(out)
            diff_rows.append([case.name, f"{mean_difference(*seeds):.2f}"])

    print(f"\nwhole processes, {args.samples} spp, denoised, medians of {args.rounds}")
    headers = ["model", "ldscene", "peak"]
    if use_cycles:
        headers += ["Cycles", "peak", "ldscene/Cycles"]
    print_table(headers, rows)
    print("\nldscene stages (medians)")
    print_table(["model", "load", "translate", "render", "denoise"], stage_rows)
    if diff_rows:
        print("\nseed 1 vs seed 2: mean absolute difference (levels of 255)")
        print_table(["model", "difference"], diff_rows)
    print(f"\nimages in {keep}", file=sys.stderr)


if __name__ == "__main__":
    main()
