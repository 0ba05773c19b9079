"""Compose benchmark: how long a scene takes to compose, warm.

    python benchmarks/compose.py [-n 5] [SCENE ...] [--baseline SRC_DIR]

Per scene, N rounds of three measurements, each a whole process timed from here:
- `ldscene info SCENE --json` with a warm disk cache (filled by one unmeasured run first):
  what a user waits for, interpreter start-up, loading and composing included;
- the same right after an edit: a copy of the scene beside it in which the last top-level
  placement whose `at` starts with a plain number is moved along x, by a quarter of a unit
  more each round (the builder's loop: move something, look again);
- `load_scene(SCENE)` alone, timed inside a process that has composed the scene once
  already (so parts are parsed and the disk cache read): the composer's own time, with the
  seconds of each settling scatter entry.
Medians of wall and CPU seconds are printed.  `--baseline` times the same with another
checkout's `src` folder first on PYTHONPATH (e.g. one unpacked with
`git archive HEAD~3 src | tar -x -C /tmp/old`), alternating with this one, so before and
after come from the same machine under the same load.

Bar: a warm `ldscene info` of the Stalingrad scene within 5 s on the 2-core dev machine.
The exit status is 1 if a scene is over it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import _bench as b

BAR_S = 5.0
DEFAULT_SCENES = (b.REPO / "scenes" / "stalingrad_stz.yaml",)

COMPOSE_SNIPPET = """
import json, sys, time
import ldscene.scene.landing as landing
from ldscene.scene import load_scene

path = sys.argv[1]
load_scene(path)  # parts parsed, disk cache read: what stays is the composer's own work
scatters = {}
scatter = landing.scatter

def timed(name, *args, **kwargs):
    start = time.perf_counter()
    try:
        return scatter(name, *args, **kwargs)
    finally:
        scatters[name] = scatters.get(name, 0.0) + time.perf_counter() - start

landing.scatter = timed
wall, cpu = time.perf_counter(), time.process_time()
load_scene(path)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "scatter": scatters}))
"""


def env_for(src: Path | None, base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `ldscene` itself sets
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    return env


def info_run(scene: Path, env: dict[str, str]) -> b.Run:
    cmd = [sys.executable, "-m", "ldscene", "info", str(scene), "--json"]
    return b.checked(b.measure(cmd, env=env), f"ldscene info on {scene.name}")


def edit_span(scene: Path) -> tuple[int, int, float]:
    """Where the x of the last top-level placement with a plain-number `at` is in the scene's
    text (start, end) and its value."""
    import yaml

    root = yaml.compose(scene.read_text(encoding="utf-8"))
    found = None
    for key, value in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value != "place" or not isinstance(value, yaml.MappingNode):
            continue
        for _, entry in value.value:
            if not isinstance(entry, yaml.MappingNode):
                continue
            for name, at in entry.value:
                if name.value == "at" and isinstance(at, yaml.SequenceNode) and at.value:
                    x = at.value[0]
                    if isinstance(x, yaml.ScalarNode) and x.tag.endswith((":int", ":float")):
                        found = (x.start_mark.index, x.end_mark.index, float(x.value))
    if found is None:
        sys.exit(f"{scene}: no top-level placement with a plain-number `at` to move")
    return found


def edited_copy(scene: Path, span: tuple[int, int, float], shift: float) -> Path:
    """The scene with that placement moved by `shift` along x, written beside it (its model
    paths are relative to its folder)."""
    start, end, value = span
    text = scene.read_text(encoding="utf-8")
    path = scene.with_name(f".ldbench-edit-{os.getpid()}.yaml")
    path.write_text(text[:start] + repr(value + shift) + text[end:], encoding="utf-8")
    return path


def compose_run(scene: Path, env: dict[str, str]) -> dict:
    cmd = [sys.executable, "-c", COMPOSE_SNIPPET, str(scene)]
    run = b.checked(b.measure(cmd, env=env), f"load_scene on {scene.name}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("scenes", nargs="*", type=Path, help="scene files (default: Stalingrad)")
    ap.add_argument("-n", "--runs", type=int, default=5, help="rounds per scene (default 5)")
    ap.add_argument("--baseline", type=Path, help="another checkout's src folder to compare")
    args = ap.parse_args()
    library = b.find_library()
    warm = b.scratch_dir("ldbench_compose_")
    base = dict(os.environ, LDRAWDIR=str(library), XDG_CACHE_HOME=str(warm))
    variants = {"this": env_for(b.REPO / "src", base)}
    if args.baseline is not None:
        variants = {"baseline": env_for(args.baseline.resolve(), base), **variants}
    print(f"library: {library}   runs: {args.runs}   (medians)")
    print(b.load_warning() + "\n")
    over = False
    for scene in args.scenes or DEFAULT_SCENES:
        results: dict[str, dict[str, list]] = {
            name: {
                "info": [],
                "info_cpu": [],
                "edit": [],
                "compose": [],
                "compose_cpu": [],
                "scatter": [],
            }
            for name in variants
        }
        span = edit_span(scene)
        edited = edited_copy(scene, span, 0.0)
        try:
            for env in variants.values():
                info_run(scene, env)  # fill the disk cache
                info_run(edited, env)  # and the edits' record of what they read
            for round_ in range(args.runs):
                edited = edited_copy(scene, span, 0.25 * (round_ + 1))
                for name, env in variants.items():  # alternate, so load hits both alike
                    run = info_run(scene, env)
                    results[name]["info"].append(run.wall_s)
                    results[name]["info_cpu"].append(run.cpu_s)
                    results[name]["edit"].append(info_run(edited, env).wall_s)
                    composed = compose_run(scene, env)
                    results[name]["compose"].append(composed["wall"])
                    results[name]["compose_cpu"].append(composed["cpu"])
                    results[name]["scatter"].append(composed["scatter"])
        finally:
            edited.unlink(missing_ok=True)
        rows = []
        for name, r in results.items():
            entries = sorted({k for s in r["scatter"] for k in s})
            scatter = ", ".join(
                f"{k} {b.median([s.get(k, 0.0) for s in r['scatter']]):.2f}" for k in entries
            )
            rows.append(
                [
                    name,
                    f"{b.median(r['info']):.2f} s",
                    f"{b.median(r['info_cpu']):.2f} s",
                    f"{b.median(r['edit']):.2f} s",
                    f"{b.median(r['compose']):.2f} s",
                    f"{b.median(r['compose_cpu']):.2f} s",
                    scatter or "-",
                ]
            )
            over |= name == "this" and b.median(r["info"]) > BAR_S
        print(scene.name)
        b.print_table(
            [
                "code",
                "info wall",
                "info cpu",
                "info after an edit",
                "compose wall",
                "compose cpu",
                "scatter wall (s)",
            ],
            rows,
        )
        print(f"bar: warm info <= {BAR_S:.0f} s\n")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
