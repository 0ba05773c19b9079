"""Render farms on a real Ray cluster on this machine (127.0.0.1 only, 2 CPUs, no dashboard).

One test starts a cluster the way a user does (`ray start --head --block` as its own process,
with no LDraw library and an empty home: the workers need neither) and runs the command line
against it with `--cluster 127.0.0.1:PORT`; it stops that cluster by the process id it
started.  The others share a cluster started in this process (`ray.init(address="local")`,
which never attaches to another cluster on the machine), shut down at the end of the module.
Ray's state API needs its dashboard, which these clusters run without; the tests see where
tasks ran from the process tree instead (Ray names a worker `ray::_ray_render` while it runs
one of ours) and from what each task reports (its node and process id).

Marked `cluster` and `slow`: `pytest -m "not slow"` skips them; CI runs them.
"""

from __future__ import annotations

import os

# Before Ray is imported: its services bind to the loopback interface only (no cluster
# reachable from outside), and no authentication token is read or written in ~/.ray.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import OMR, write
from PIL import Image, ImageSequence

from ldscene.cli import cli
from ldscene.farm.runner import FarmStats
from ldscene.ldraw import load_model
from ldscene.render.options import RenderOptions
from ldscene.render.turntable import render_frames

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.cluster, pytest.mark.slow]

BARON = OMR / "6879-1 - Blizzard Baron.mpd"
OBJECT_STORE = 300 * 2**20
WORKER_TITLE = b"ray::_ray_render"


# ----------------------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int) -> dict[int, bytes]:
    """Process id -> command line of every process below `root` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent(int(entry))
            if parent is not None:
                parents[int(entry)] = parent
    found = {}
    for pid in parents:
        up = pid
        while up in parents and up != root:
            up = parents[up]
        if up == root and pid != root:
            with contextlib.suppress(OSError):
                found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return found


def frames_of(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


def same_images(a: Path, b: Path) -> bool:
    with Image.open(a) as x, Image.open(b) as y:
        return x.size == y.size and (np.asarray(x) == np.asarray(y)).all()


# ----------------------------------------------------------------------------- ray start --head
@pytest.fixture()
def head_node(tmp_path):
    """`ray start --head --block` as a process of its own, stopped by its process id."""
    port, client_port, agent_port = _free_port(), _free_port(), _free_port()
    temp = Path(tempfile.mkdtemp(prefix="ldray", dir="/tmp"))  # short: Ray's socket paths
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LDRAWDIR", "RAY_ADDRESS")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    ray_bin = Path(sys.executable).with_name("ray")
    log = open(tmp_path / "ray-start.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", "--port", str(port),
         "--num-cpus", "2", "--include-dashboard=false", "--node-ip-address", "127.0.0.1",
         "--ray-client-server-port", str(client_port),
         "--dashboard-agent-listen-port", str(agent_port),
         "--object-store-memory", str(OBJECT_STORE), "--temp-dir", str(temp),
         "--disable-usage-stats"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "ray start failed: " + (tmp_path / "ray-start.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.2)
        yield process, port
    finally:
        below = descendants(process.pid)
        process.send_signal(signal.SIGTERM)  # ray start --block stops what it started
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        for pid, cmd in below.items():  # anything it left behind: the processes it had
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ") == cmd:
                    os.kill(pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def test_turntable_on_a_ray_start_cluster(head_node, tmp_path):
    """The bar: `ldscene turntable MODEL --frames 8 --cluster 127.0.0.1:PORT` writes all 8
    frames, and the frames were rendered by the cluster's workers (which have no library)."""
    process, port = head_node
    seen: set[bytes] = set()
    stop = threading.Event()

    def watch() -> None:  # the processes under `ray start` while the command runs
        while not stop.is_set():
            seen.update(descendants(process.pid).values())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out = tmp_path / "spin.gif"
    try:
        run = subprocess.run(
            [sys.executable, "-m", "ldscene", "turntable", str(BARON), "-o", str(out),
             "--frames", "8", "--width", "160", "--height", "120", "--aa", "1",
             "--cluster", f"127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        stop.set()
        watcher.join()
    assert run.returncode == 0, run.stderr
    assert len(frames_of(out)) == 8
    line = run.stdout.strip().splitlines()[-1]
    assert "8 tasks run by" in line and f"Ray cluster 127.0.0.1:{port} (1 node, 2 CPUs)" in line
    assert any(cmd.startswith(WORKER_TITLE) for cmd in seen), "no task ran on the cluster"

    # The same turntable on this machine's worker processes: the same frames.
    local = tmp_path / "local.gif"
    run = subprocess.run(
        [sys.executable, "-m", "ldscene", "turntable", str(BARON), "-o", str(local),
         "--frames", "8", "--width", "160", "--height", "120", "--aa", "1", "-q"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for a, b in zip(frames_of(out), frames_of(local), strict=True):
        assert (a == b).all()


# ----------------------------------------------------------------------------- in this process
@pytest.fixture(scope="module")
def cluster():
    """A Ray cluster started by this process; `RayExecutor` uses this connection."""
    temp = Path(tempfile.mkdtemp(prefix="ldray", dir="/tmp"))
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=OBJECT_STORE,
        logging_level="WARNING",
        log_to_driver=False,
        _temp_dir=str(temp),
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def test_a_killed_ray_worker_is_retried_and_the_turntable_completes(cluster):
    """First on the fresh cluster: a worker's first task imports the renderer (a second or
    more), so the worker is killed mid-task."""
    from ldscene.farm.ray_executor import RayExecutor

    model = load_model(BARON)
    options = RenderOptions(width=320, height=240, aa=2)
    killed: list[int] = []
    stop = threading.Event()

    def kill_a_worker() -> None:  # SIGKILL the first worker seen running one of our tasks
        while not stop.is_set() and not killed:
            for pid, cmd in descendants(os.getpid()).items():
                if cmd.startswith(WORKER_TITLE):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    stats = FarmStats()
    with RayExecutor("local") as executor:
        killer.start()
        try:
            frames = render_frames(model, 8, options, executor=executor, stats=stats)
        finally:
            stop.set()
            killer.join()
    assert killed and stats.retried >= 1
    assert killed[0] not in {pid for _, pid in stats.workers}
    assert len(frames) == 8 and stats.succeeded == 8
    expected = render_frames(model, 8, options, jobs=1)
    for a, b in zip(frames, expected, strict=True):
        assert (np.asarray(a) == np.asarray(b)).all()


def test_frames_on_ray_are_the_local_frames(cluster):
    from ldscene.farm.ray_executor import RayExecutor

    model = load_model(BARON)
    options = RenderOptions(width=160, height=120, aa=1)
    stats = FarmStats()
    with RayExecutor("local") as executor:
        frames = render_frames(model, 8, options, executor=executor, stats=stats)
    assert stats.tasks == stats.succeeded == 8 and stats.retried == 0 and stats.failed == 0
    assert len(stats.nodes) == 1
    pids = {pid for _, pid in stats.workers}
    assert pids and pids <= set(descendants(os.getpid()))  # this cluster's workers
    expected = render_frames(model, 8, options, jobs=1)
    for a, b in zip(frames, expected, strict=True):
        assert (np.asarray(a) == np.asarray(b)).all()


def test_omr_batch_on_ray_equals_the_local_batch(cluster, tmp_path):
    """The bar: the 21 OMR models with --cluster give 21 images equal to a local run's; a
    corrupt model in the folder is reported and does not stop the others."""
    folder = tmp_path / "omr"
    folder.mkdir()
    models = sorted(OMR.glob("*.mpd"))
    assert len(models) == 21
    for path in models:
        (folder / path.name).symlink_to(path)
    (folder / "zz-corrupt.mpd").write_bytes(b"\x00\xff" * 512)
    write(folder, "tiny.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat")
    size = ["--width", "160", "--height", "120", "--aa", "1"]
    local, farmed = tmp_path / "local", tmp_path / "ray"
    runner = CliRunner()
    result = runner.invoke(cli, ["render", str(folder), "-o", f"{local}/", *size, "-j", "2"])
    assert result.exit_code == 1, result.output
    result = runner.invoke(cli, ["render", str(folder), "-o", f"{farmed}/", *size, "--cluster",
                                 "local"])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "rendered 22 images of 23 inputs" in result.output
    assert "on Ray cluster local (1 node, 2 CPUs)" in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 1 and "zz-corrupt.mpd" in failed[0]
    images = sorted(p.name for p in farmed.glob("*.png"))
    assert len(images) == 22 and images == sorted(p.name for p in local.glob("*.png"))
    different = [name for name in images if not same_images(local / name, farmed / name)]
    assert not different


def test_post_on_ray_path_traces_the_stills_like_this_machine(cluster, tmp_path):
    """`post --cluster`: the path-traced stills and the turntable's frames are cluster tasks;
    the stills are the ones this process traces (same seed, same bytes)."""
    from conftest import tiny_scene

    scene = tiny_scene(tmp_path)
    args = ["--engine", "path", "--samples", "2", "--width", "96", "--height", "72"]
    args += ["--turntable-width", "64", "--frames", "4", "-q"]
    runner = CliRunner()
    farmed = runner.invoke(cli, ["post", str(scene), "-o", str(tmp_path / "ray"), *args,
                                 "--cluster", "local"])  # fmt: skip
    assert farmed.exit_code == 0, farmed.output
    local = runner.invoke(cli, ["post", str(scene), "-o", str(tmp_path / "here"), *args])
    assert local.exit_code == 0, local.output
    names = ["01-overview.jpg", "02-side.jpg", "turntable.gif"]
    for name in names:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_ctrl_c_cancels_the_clusters_tasks_and_leaves_no_files(head_node, tmp_path):
    process, port = head_node
    out = tmp_path / "out"
    out.mkdir()
    driver = subprocess.Popen(
        [sys.executable, "-m", "ldscene", "turntable", str(BARON), "-o", str(out / "spin.gif"),
         "--frames", "16", "--engine", "path", "--samples", "4", "--width", "160", "--height",
         "120", "--cluster", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not any(c.startswith(WORKER_TITLE) for c in descendants(process.pid).values()):
            assert driver.poll() is None and time.monotonic() < deadline, driver.stderr.read()
            time.sleep(0.05)
        driver.send_signal(signal.SIGINT)  # what Ctrl-C sends
        _, stderr = driver.communicate(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 130 and stderr.strip().splitlines()[-1] == "interrupted"
    assert list(out.iterdir()) == []  # nothing written, nothing half-written
    deadline = time.monotonic() + 30  # the task was cancelled: its worker stops rendering
    while any(c.startswith(WORKER_TITLE) for c in descendants(process.pid).values()):
        assert time.monotonic() < deadline, "a cancelled task still runs on the cluster"
        time.sleep(0.1)
