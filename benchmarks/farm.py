"""Render-farm benchmark: local worker processes against Ray on the same machine, and the
numbers the scale model in docs/render-farm.md is built from.

    python benchmarks/farm.py [--rounds 2] [--model "6080 - Kings Castle.mpd"] [--no-path]

Starts its own Ray head (`ray start --head --block`: 127.0.0.1 only, 2 CPUs, no dashboard)
and stops it by its process id at the end.  Everything is measured with a warm disk cache.

1. dispatch: no-op tasks per second and one task's round trip, Ray and local processes;
2. frames: a 24-frame turntable of the mid-size model (640x480) in this process, on 1 and 2
   local workers and on Ray (2 CPUs): frames per second, the speed-up from 1 to 2 workers;
3. overhead: single 1024x768 PNG images of the model, one at a time on a warm worker: the
   time around the task (submit, transfer, result, write) against the render inside it.
   Bar: Ray's overhead per image under 10 % of the raster render;
4. batch: the 21 OMR models at 1024x768, whole processes: one `ldscene render` per model (as
   before batches), one batch in this process (-j 1), on 2 local workers, on Ray; the Ray
   images must equal the local ones;
5. driver and path engine: per OMR model the driver's load + mesh time and its meshes'
   size; one path-traced 640x480 frame of the mid-size model (24 samples).
Then the scale model: a 72-frame path-traced turntable and a 1,000-model batch on N nodes.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import math
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Ray binds to the loopback interface only and keeps no token in ~/.ray (before its import).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import _bench as b
import numpy as np

MID_MODEL = "6080 - Kings Castle.mpd"
FRAMES = 24
IMAGE = (1024, 768)
FRAME = (640, 480)


# ----------------------------------------------------------------------------- the cluster
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_head() -> tuple[subprocess.Popen, int]:
    """`ray start --head --block` on 127.0.0.1; stopped (SIGTERM to its pid) at exit."""
    port = free_port()
    temp = Path(tempfile.mkdtemp(prefix="ldray", dir="/tmp"))
    log = temp / "ray-start.log"
    cmd = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--head",
        "--block",
        "--port",
        str(port),
        "--num-cpus",
        "2",
        "--include-dashboard=false",
        "--node-ip-address",
        "127.0.0.1",
        "--ray-client-server-port",
        str(free_port()),
        "--dashboard-agent-listen-port",
        str(free_port()),
        "--temp-dir",
        str(temp),
        "--object-store-memory",
        str(1 << 30),
        "--disable-usage-stats",
    ]
    with open(log, "wb") as handle:  # the child keeps its own descriptor
        process = subprocess.Popen(
            cmd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop() -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(temp, ignore_errors=True)

    atexit.register(stop)
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("ray start failed:\n" + log.read_text()[-2000:])
            time.sleep(0.2)


# ----------------------------------------------------------------------------- 1. dispatch
def _noop(x: int) -> int:
    return x


def dispatch(ray) -> dict[str, float]:
    from concurrent.futures import ProcessPoolExecutor

    remote = ray.remote(_noop).options(max_retries=0)
    ray.get([remote.remote(i) for i in range(20)])  # workers up
    out = {}
    start = time.perf_counter()
    ray.get([remote.remote(i) for i in range(2000)])
    out["ray tasks/s"] = 2000 / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(200):
        ray.get(remote.remote(i))
    out["ray round trip ms"] = 1000 * (time.perf_counter() - start) / 200
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_noop, range(20)))
        start = time.perf_counter()
        list(pool.map(_noop, range(2000)))
        out["local tasks/s"] = 2000 / (time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(200):
            pool.submit(_noop, i).result()
        out["local round trip ms"] = 1000 * (time.perf_counter() - start) / 200
    return out


# ----------------------------------------------------------------------------- 2. frames
def frames_per_second(meshes, factories: dict, rounds: int) -> dict[str, tuple[float, float]]:
    """Per executor: (frames per second with warm workers, seconds to the first frames of a
    fresh one: its start and a 2-frame turntable, which imports the renderer in every
    worker).  The variants take turns in each round: a shared machine's load drifts."""
    from ldscene.render.options import RenderOptions
    from ldscene.render.turntable import render_frames

    options = RenderOptions(width=FRAME[0], height=FRAME[1])
    executors, cold, rates = {}, {}, {}
    with contextlib.ExitStack() as stack:
        for name, factory in factories.items():
            start = time.perf_counter()
            executor = factory()
            if executor is not None:
                stack.enter_context(executor)
            executors[name] = executor
            kwargs = {"executor": executor} if executor is not None else {"jobs": 1}
            render_frames(meshes, 2, options, **kwargs)
            cold[name] = time.perf_counter() - start
        for _ in range(rounds):
            for name, executor in executors.items():
                kwargs = {"executor": executor} if executor is not None else {"jobs": 1}
                start = time.perf_counter()
                render_frames(meshes, FRAMES, options, **kwargs)
                rates.setdefault(name, []).append(FRAMES / (time.perf_counter() - start))
    return {name: (b.median(rates[name]), cold[name]) for name in factories}


# ----------------------------------------------------------------------------- 3. overhead
def per_image_overhead(meshes, executor, n: int = 8) -> tuple[float, float, float]:
    """(median wall per image, median render inside the worker, first image's worker time):
    single 1024x768 PNG images, one at a time, written here like a batch writes them."""
    from ldscene.atomic import write_atomic
    from ldscene.farm.tasks import RenderTask, portable_meshes
    from ldscene.render.engines import EngineSettings
    from ldscene.render.options import RenderOptions, View

    options = RenderOptions(width=IMAGE[0], height=IMAGE[1])
    key = f"overhead-{time.monotonic_ns()}"
    executor.put(key, portable_meshes(meshes))
    out = Path(tempfile.mkdtemp(prefix="ldfarm-"))
    walls, inside, first = [], [], None
    for i in range(n + 1):
        view = View.angles(30.0, 45.0 + 360.0 * i / n)
        task = RenderTask(key, i, view, options, EngineSettings(), encode=".png")
        start = time.perf_counter()
        executor.submit(task)
        (done,) = executor.wait(None)
        data = done.output.value
        write_atomic(out / f"{i}.png", lambda handle, data=data: handle.write(data))
        wall = time.perf_counter() - start
        if first is None:
            first = done.output.seconds  # opens the renderer: payload, GL context, upload
            continue
        walls.append(wall)
        inside.append(done.output.seconds)
    executor.drop(key)
    shutil.rmtree(out, ignore_errors=True)
    return b.median(walls), b.median(inside), first


# ----------------------------------------------------------------------------- 4. batch
def batch_runs(port: int, rounds: int, env: dict[str, str]) -> dict[str, list[float]]:
    models = sorted(b.MODELS_DIR.glob("*.mpd"))
    size = ["--width", str(IMAGE[0]), "--height", str(IMAGE[1])]
    work = b.scratch_dir("ldfarm_batch_")
    times: dict[str, list[float]] = {}
    variants = {
        "one process per model": None,
        "batch, this process (-j 1)": ["-j", "1"],
        "batch, 2 local workers": ["-j", "2"],
        "batch, Ray (2 CPUs)": ["--cluster", f"127.0.0.1:{port}"],
    }
    for _ in range(rounds):
        for name, extra in variants.items():
            out = work / name.split(",")[-1].strip().replace(" ", "-")
            start = time.perf_counter()
            if extra is None:
                for model in models:
                    run = b.measure(
                        [
                            *b.ldscene_cmd(),
                            "render",
                            str(model),
                            "-o",
                            str(out / f"{model.stem}.png"),
                            "-q",
                            *size,
                        ],
                        env=env,
                    )
                    b.checked(run, f"ldscene render {model.name}")
            else:
                run = b.measure(
                    [
                        *b.ldscene_cmd(),
                        "render",
                        str(b.MODELS_DIR),
                        "-o",
                        f"{out}/",
                        "--force",
                        "-q",
                        *size,
                        *extra,
                    ],
                    env=env,
                )
                b.checked(run, f"batch {name}")
            times.setdefault(name, []).append(time.perf_counter() - start)
    local, farmed = work / "2-local-workers", work / "Ray-(2-CPUs)"
    same = _same_folders(local, farmed)
    print(f"batch images: Ray's {len(list(farmed.glob('*.png')))} equal the local ones: {same}")
    return times


def _same_folders(a: Path, b_: Path) -> bool:
    from PIL import Image

    names = sorted(p.name for p in a.glob("*.png"))
    if not names or names != sorted(p.name for p in b_.glob("*.png")):
        return False
    for name in names:
        with Image.open(a / name) as x, Image.open(b_ / name) as y:
            if x.size != y.size or not (np.asarray(x) == np.asarray(y)).all():
                return False
    return True


# ----------------------------------------------------------------------------- 5. driver, path
def driver_costs() -> list[tuple[str, float, float, float]]:
    """(model, load s, mesh s, meshes MB) for each OMR model, warm cache, in this process."""
    from ldscene.farm.tasks import portable_meshes
    from ldscene.inputs import load_input
    from ldscene.render.meshes import build_model_meshes

    rows = []
    for model in sorted(b.MODELS_DIR.glob("*.mpd")):
        start = time.perf_counter()
        loaded = load_input(model)
        loaded_at = time.perf_counter()
        meshes = build_model_meshes(loaded.model)
        meshed_at = time.perf_counter()
        size = len(pickle.dumps(portable_meshes(meshes), protocol=5)) / 1e6
        rows.append((model.stem, loaded_at - start, meshed_at - loaded_at, size))
    return rows


def path_frame(meshes) -> tuple[float, float]:
    """(set-up + first frame, a further frame) of the path engine at 640x480, 24 samples."""
    from ldscene.render.engines import EngineSettings, open_renderer
    from ldscene.render.options import RenderOptions, View

    engine = EngineSettings.parse("path")
    options = RenderOptions(width=FRAME[0], height=FRAME[1], ground=True)
    start = time.perf_counter()
    with open_renderer(engine, meshes, options) as renderer:
        renderer.render_array(View.angles(30, 45))
        first = time.perf_counter() - start
        start = time.perf_counter()
        renderer.render_array(View.angles(30, 75))
        again = time.perf_counter() - start
    return first, again


# ----------------------------------------------------------------------------- the model
def scale_model(m: dict[str, float]) -> None:
    """T(N) for the two jobs of docs/render-farm.md, from the measured numbers."""
    cores = 2  # per node, like this machine
    link = 125.0  # MB/s: 1 Gbit/s between nodes (assumed; on one machine: shared memory)
    print("\n72-frame path-traced turntable (640x480, 24 spp), one frame per node at a time:")
    rows = []
    for n in (1, 2, 4, 8, 18, 36, 72):
        transfer = m["mid MB"] / link if n > 1 else 0.0
        setup = m["path first"] - m["path frame"]
        total = (
            m["mid load"]
            + m["mid mesh"]
            + transfer
            + setup
            + math.ceil(72 / n) * (m["path frame"] + m["ray overhead"])
        )
        render_share = math.ceil(72 / n) * m["path frame"] / total
        rows.append(
            [
                str(n),
                f"{total:.0f} s",
                f"{m['path frame'] * 72 / total:.1f}x",
                f"{100 * render_share:.0f} %",
            ]
        )
    b.print_table(["nodes", "time", "speed-up", "rendering"], rows)

    print("\n1,000-model raster batch (1024x768), 2 workers per node:")
    drv = m["driver per model"]
    img = m["worker per image"]
    rows = []
    for n in (1, 2, 4, 8, 16, 32):
        render_bound = 1000 * img / (n * cores)
        driver_bound = 1000 * (drv + m["omr MB"] / link * (n > 1))
        dispatch = 1000 / m["ray tasks/s"]
        total = max(render_bound, driver_bound) + dispatch
        what = "rendering" if render_bound >= driver_bound else "the driver's loading"
        rows.append([str(n), f"{total / 60:.1f} min", what])
    b.print_table(["nodes", "time", "bound by"], rows)
    print(
        f"(driver {drv:.2f} s/model load + mesh + put; worker {img:.2f} s/image; "
        f"crossover at {img / (cores * drv):.1f} nodes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default=MID_MODEL, help="the mid-size model (OMR name)")
    parser.add_argument("--no-path", action="store_true", help="skip the path-engine frame")
    parser.add_argument("--no-batch", action="store_true", help="skip the whole-process batch")
    args = parser.parse_args()

    library = b.find_library()
    os.environ["LDRAWDIR"] = str(library)
    os.environ["XDG_CACHE_HOME"] = str(b.scratch_dir("ldfarm_cache_"))
    env = dict(os.environ)
    print(b.load_warning())
    print("warming the disk cache (all OMR models) ...", flush=True)
    warm = b.measure(
        [
            *b.ldscene_cmd(),
            "render",
            str(b.MODELS_DIR),
            "-o",
            f"{b.scratch_dir('ldfarm_warm_')}/",
            "-q",
            "--width",
            "64",
            "--height",
            "48",
        ],
        env=env,
    )
    b.checked(warm, "warm-up batch")

    import ray

    from ldscene.farm.executor import InlineExecutor, LocalExecutor
    from ldscene.farm.ray_executor import RayExecutor
    from ldscene.inputs import load_input
    from ldscene.render.meshes import build_model_meshes

    process, port = start_head()
    ray.init(address=f"127.0.0.1:{port}", logging_level="WARNING", log_to_driver=False)
    m: dict[str, float] = {}
    try:
        m.update(dispatch(ray))
        print("\n1. dispatch (no-op tasks, 2 workers)")
        b.print_table(
            ["", "tasks/s", "round trip"],
            [
                ["Ray", f"{m['ray tasks/s']:.0f}", f"{m['ray round trip ms']:.1f} ms"],
                [
                    "local processes",
                    f"{m['local tasks/s']:.0f}",
                    f"{m['local round trip ms']:.2f} ms",
                ],
            ],
        )

        model_path = b.MODELS_DIR / args.model
        start = time.perf_counter()
        model = load_input(model_path).model
        m["mid load"] = time.perf_counter() - start
        start = time.perf_counter()
        meshes = build_model_meshes(model)
        m["mid mesh"] = time.perf_counter() - start
        from ldscene.farm.tasks import portable_meshes

        m["mid MB"] = len(pickle.dumps(portable_meshes(meshes), protocol=5)) / 1e6
        start = time.perf_counter()
        ref = ray.put(portable_meshes(meshes))
        m["mid put"] = time.perf_counter() - start
        del ref

        print(f"\n2. frames: {FRAMES}-frame turntable of {model_path.stem}, {FRAME[0]}x{FRAME[1]}")
        measured = frames_per_second(
            meshes,
            {
                "this process": lambda: None,
                "1 local worker": lambda: LocalExecutor(1),
                "2 local workers": lambda: LocalExecutor(2),
                "Ray, 2 CPUs": lambda: RayExecutor("bench"),
            },
            args.rounds,
        )
        fps = {name: rate for name, (rate, _) in measured.items()}
        rows = [
            [name, f"{rate:.2f}", f"{FRAMES / rate:.1f} s", f"{cold:.1f} s"]
            for name, (rate, cold) in measured.items()
        ]
        b.print_table(["", "frames/s", f"{FRAMES} frames", "start + 2 frames"], rows)
        m["speed-up 1->2"] = fps["2 local workers"] / fps["1 local worker"]
        print(f"speed-up from 1 to 2 local workers: {m['speed-up 1->2']:.2f}x")

        print(f"\n3. per image, {IMAGE[0]}x{IMAGE[1]} PNG of {model_path.stem}, one at a time")
        rows = []
        for name, factory in (
            ("Ray", lambda: RayExecutor("bench")),
            ("local process", lambda: LocalExecutor(1)),
            ("this process", InlineExecutor),
        ):
            with factory() as executor:
                wall, inside, first = per_image_overhead(meshes, executor)
            overhead = wall - inside
            m[f"{name} overhead"] = overhead
            m[f"{name} render"] = inside
            m[f"{name} first"] = first
            rows.append(
                [
                    name,
                    f"{wall:.3f} s",
                    f"{inside:.3f} s",
                    f"{1000 * overhead:.0f} ms",
                    f"{100 * overhead / inside:.1f} %",
                    f"{first:.2f} s",
                ]
            )
        b.print_table(
            ["", "per image", "render in worker", "overhead", "of render", "first image"], rows
        )
        m["ray overhead"] = m["Ray overhead"]
        bar = m["Ray overhead"] / m["Ray render"]
        print(
            f"bar: Ray overhead {100 * bar:.1f} % of a raster render (< 10 %): "
            f"{'met' if bar < 0.10 else 'NOT met'}"
        )

        if not args.no_batch:
            ray.shutdown()  # the batch's own processes connect as drivers
            print(
                f"\n4. batch: the 21 OMR models, {IMAGE[0]}x{IMAGE[1]}, whole processes, "
                f"medians of {args.rounds}"
            )
            times = batch_runs(port, args.rounds, env)
            base = b.median(times["one process per model"])
            b.print_table(
                ["", "wall", "images/s", "vs one process per model"],
                [
                    [
                        name,
                        f"{b.median(t):.1f} s",
                        f"{21 / b.median(t):.2f}",
                        b.ratio(b.median(t), base),
                    ]
                    for name, t in times.items()
                ],
            )
            ray.init(address=f"127.0.0.1:{port}", logging_level="WARNING", log_to_driver=False)

        print("\n5. the driver's work per OMR model (warm cache) and the worker's per image")
        costs = driver_costs()
        b.print_table(
            ["model", "load", "mesh", "meshes MB"],
            [
                [b.short_name(Path(n)), f"{lo:.2f} s", f"{me:.2f} s", f"{mb:.1f}"]
                for n, lo, me, mb in costs
            ],
        )
        m["driver per model"] = float(np.mean([lo + me for _, lo, me, _ in costs])) + m["mid put"]
        m["omr MB"] = float(np.mean([mb for *_, mb in costs]))
        m["worker per image"] = _worker_per_image(costs)
        print(
            f"mean: driver {m['driver per model']:.2f} s, meshes {m['omr MB']:.1f} MB, "
            f"worker {m['worker per image']:.2f} s per image (set-up + render + PNG)"
        )

        if not args.no_path:
            first, again = path_frame(meshes)
            m["path first"], m["path frame"] = first, again
            print(
                f"path engine, {FRAME[0]}x{FRAME[1]} 24 spp: first frame {first:.1f} s "
                f"(with set-up), then {again:.1f} s a frame"
            )
            scale_model(m)
    finally:
        ray.shutdown()
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def _worker_per_image(costs) -> float:
    """Mean time a worker spends on one OMR model's image (renderer set-up, render, PNG),
    from a Ray batch of the 21 models in this process."""
    from ldscene.farm.batch import expand_inputs, plan_outputs, run_batch
    from ldscene.farm.ray_executor import RayExecutor
    from ldscene.render.command import RenderRequest

    out = b.scratch_dir("ldfarm_workers_")
    items = plan_outputs(expand_inputs([b.MODELS_DIR]), out, ".png")
    req = RenderRequest(input_path=items[0].input, width=IMAGE[0], height=IMAGE[1], quiet=True)
    with RayExecutor("bench") as executor:
        result = run_batch(req, items, None, executor=executor)
    return result.stats.task_seconds / max(1, result.stats.succeeded)


if __name__ == "__main__":
    main()
