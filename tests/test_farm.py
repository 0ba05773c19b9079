"""Render farms without a cluster: batches, the local executor, and --cluster's one-line errors.

The Ray cluster tests are in test_farm_cluster.py (marked `cluster` and `slow`)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import OMR, run_cli, write
from PIL import Image

from ldscene.cli import cli
from ldscene.farm.batch import MANIFEST, files_read, listing_digest
from ldscene.farm.cluster import resolve_cluster
from ldscene.farm.executor import InlineExecutor, LocalExecutor
from ldscene.ldraw import load_model
from ldscene.render.options import RenderOptions
from ldscene.render.turntable import render_frames

TINY = ("--width", "96", "--height", "72", "--aa", "1", "-q")
BRICKS = """0 two bricks
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
1 1 10 -24 0 1 0 0 0 1 0 0 0 1 3003.dat
"""
PLATE = """0 a plate and a slope
1 2 0 0 0 1 0 0 0 1 0 0 0 1 3020.dat
1 14 0 -8 0 1 0 0 0 1 0 0 0 1 3039.dat
"""


@pytest.fixture()
def models(tmp_path) -> Path:
    """A folder with two small models and one corrupt file."""
    folder = tmp_path / "models"
    write(folder, "bricks.ldr", BRICKS)
    write(folder, "plate.ldr", PLATE)
    (folder / "broken.mpd").write_bytes(bytes(range(256)) * 8)  # binary: not LDraw
    (folder / "notes.txt").write_text("not a model\n")  # ignored: not .ldr/.mpd/.yaml
    return folder


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"))


@pytest.mark.slow  # whole child processes (or a worker pool): the full suite runs it
def test_batch_renders_the_rest_and_reports_the_bad_input(models, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["render", str(models), "-o", f"{out}/", "--width", "96", "--height", "72"]
    )
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "bricks.png", "plate.png"]
    lines = result.output.strip().splitlines()
    assert "rendered 2 images of 3 inputs" in result.output and "1 failed" in result.output
    failure = [line for line in lines if line.startswith("failed: ")]
    assert len(failure) == 1 and "broken.mpd" in failure[0] and "not a text file" in failure[0]
    assert lines[-1] == "error: 1 of 3 inputs failed"
    with Image.open(out / "plate.png") as im:
        assert im.size == (96, 72)


@pytest.mark.slow  # whole child processes (or a worker pool): the full suite runs it
def test_batch_images_equal_single_renders(models, tmp_path):
    """Worker processes draw exactly what `ldscene render` draws in its own process."""
    (models / "broken.mpd").unlink()
    out = tmp_path / "out"
    args = ["--view", "iso", "--view", "top", *TINY]
    result = CliRunner().invoke(cli, ["render", str(models), "-o", f"{out}/", "-j", "2", *args])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["bricks-iso.png", "bricks-top.png", "plate-iso.png", "plate-top.png"]
    for stem in ("bricks", "plate"):
        single = tmp_path / f"{stem}.png"
        one = CliRunner().invoke(cli, ["render", str(models / f"{stem}.ldr"), "-o", single, *args])
        assert one.exit_code == 0, one.output
        for view in ("iso", "top"):
            assert (pixels(out / f"{stem}-{view}.png") == pixels(single.with_name(
                f"{stem}-{view}.png"))).all()  # fmt: skip


def test_one_input_with_jobs_spreads_its_views_over_workers(models, tmp_path):
    out = tmp_path / "one.png"
    args = ["--view", "iso", "--view", "front", "--width", "96", "--height", "72", "--aa", "1"]
    result = CliRunner().invoke(cli, ["render", str(models / "bricks.ldr"), "-o", out, "-j", "2",
                                      *args])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rendered 2 images of 1 input" in result.output and "2 local worker" in result.output
    assert sorted(p.name for p in tmp_path.glob("one-*.png")) == ["one-front.png", "one-iso.png"]
    assert not (tmp_path / MANIFEST).exists()  # no batch record beside a single input's images


def test_one_input_renders_in_this_process_unless_jobs_ask_for_more_than_it_has(models, tmp_path):
    """-j help: one input renders in this process unless -j is more than 1.  `-o dir/`
    started a worker per core, and -j 4 four workers for one image."""
    size = ["--width", "64", "--height", "48", "--aa", "1"]
    runner = CliRunner()
    result = runner.invoke(
        cli, ["render", str(models / "bricks.ldr"), "-o", f"{tmp_path}/a/", *size]
    )
    assert result.exit_code == 0 and "in this process" in result.output, result.output
    result = runner.invoke(
        cli, ["render", str(models / "bricks.ldr"), "-o", str(tmp_path / "b.png"), "-j", "4", *size]
    )
    assert result.exit_code == 0 and "in this process" in result.output, result.output


def saved_earlier(*paths: Path) -> None:
    """Date files a minute back: the batch keeps no record of a file modified once its load
    had started, and a test writes its files just before the run."""
    earlier = time.time() - 60
    for path in paths:
        os.utime(path, (earlier, earlier))


def test_batch_skips_up_to_date_images_and_force_redoes_them(models, tmp_path):
    (models / "broken.mpd").unlink()
    saved_earlier(*models.iterdir())
    out = tmp_path / "out"
    command = ["render", str(models / "bricks.ldr"), str(models / "plate.ldr"), "-o", f"{out}/"]
    command += ["--width", "64", "--height", "48", "--aa", "1", "-j", "1"]  # in this process
    first = CliRunner().invoke(cli, command)
    assert first.exit_code == 0, first.output
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}

    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.output
    assert "rendered 0 images of 2 inputs" in again.output and "2 up to date" in again.output
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")} == stamps

    # A changed input, a changed setting, a deleted image: rendered again.
    saved_earlier(write(models, "plate.ldr", PLATE.replace("1 14", "1 4")))
    changed = CliRunner().invoke(cli, command)
    assert "rendered 1 image of 2 inputs" in changed.output and "1 up to date" in changed.output
    assert CliRunner().invoke(cli, [*command, "--no-shadows"]).output.count("wrote ") == 2
    (out / "bricks.png").unlink()
    assert "rendered 1 image" in CliRunner().invoke(cli, [*command, "--no-shadows"]).output
    forced = CliRunner().invoke(cli, [*command, "--no-shadows", "--force"])
    assert "rendered 2 images" in forced.output


def test_settings_that_do_not_change_the_images_keep_a_batch_up_to_date(models, tmp_path):
    """--samples with the raster engine (noted and ignored), or --library naming the library
    $LDRAWDIR names, rendered every input again."""
    import os

    (models / "broken.mpd").unlink()
    saved_earlier(*models.iterdir())
    out = tmp_path / "out"
    command = ["render", str(models), "-o", f"{out}/", "--width", "64", "--height", "48"]
    command += ["--aa", "1", "-j", "1"]
    assert CliRunner().invoke(cli, command).exit_code == 0
    for extra in (["--samples", "99"], ["--library", os.environ["LDRAWDIR"]]):
        again = CliRunner().invoke(cli, [*command, *extra])
        assert "rendered 0 images of 2 inputs" in again.output, (extra, again.output)
    changed = CliRunner().invoke(cli, [*command, "--engine", "path", "--samples", "1"])
    assert "rendered 2 images" in changed.output, changed.output  # another engine: again


def test_every_setting_that_changes_the_images_renders_again(models, tmp_path):
    """--no-ao changed every image but left the batch "up to date": the record's settings
    listed the options one by one and missed it."""
    (models / "broken.mpd").unlink()
    saved_earlier(*models.iterdir())
    out = tmp_path / "out"
    command = ["render", str(models / "plate.ldr"), "-o", f"{out}/", "--width", "64"]
    command += ["--height", "48", "--aa", "1", "-j", "1"]
    assert CliRunner().invoke(cli, command).exit_code == 0
    for extra in (["--no-ao"], ["--no-edges"], ["--studs", "fast"], ["--no-ground"]):
        again = CliRunner().invoke(cli, [*command, *extra])
        assert "rendered 1 image of 1 input" in again.output, (extra, again.output)


def test_two_formats_into_one_folder_keep_both_records(models, tmp_path):
    """A PNG batch and a JPEG batch into one folder each rendered everything every time: the
    record kept one entry per input, and each run replaced the other's."""
    (models / "broken.mpd").unlink()
    saved_earlier(*models.iterdir())
    out = tmp_path / "out"
    command = ["render", str(models), "-o", f"{out}/", "--width", "64", "--height", "48"]
    command += ["--aa", "1", "-j", "1"]
    for extra in ([], ["--format", "jpg"]):
        assert "rendered 2 images" in CliRunner().invoke(cli, [*command, *extra]).output
    for extra in ([], ["--format", "jpg"], []):
        again = CliRunner().invoke(cli, [*command, *extra])
        assert "rendered 0 images of 2 inputs" in again.output, (extra, again.output)
    assert len(list(out.glob("*.png"))) == 2 and len(list(out.glob("*.jpg"))) == 2


def test_a_library_part_named_as_an_input_is_up_to_date_until_its_file_changes(tmp_path):
    """`ldscene render 3001 ... -o out/` rendered a part again on every run: it has no file
    of its own beside the library, so the record kept nothing."""
    library = tmp_path / "lib"
    quad = "0 a tile\n4 16 0 0 0 20 0 0 20 0 20 0 0 20\n"
    write(library / "parts", "tile.dat", quad)
    write(library / "parts", "slab.dat", quad.replace("20", "40"))
    saved_earlier(*(library / "parts").iterdir())
    out = tmp_path / "out"
    size = [arg for arg in TINY if arg != "-q"]  # not quiet: the summary line
    command = ["render", "tile", "slab", "-o", f"{out}/", "--library", str(library), *size]
    command += ["-j", "1"]
    first = CliRunner().invoke(cli, command)
    assert first.exit_code == 0, first.output
    assert sorted(p.name for p in out.glob("*.png")) == ["slab.png", "tile.png"]
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.output
    assert "rendered 0 images of 2 inputs" in again.output, again.output
    saved_earlier(write(library / "parts", "tile.dat", quad.replace("16", "4")))
    changed = CliRunner().invoke(cli, command)
    assert "rendered 1 image of 2 inputs" in changed.output, changed.output


def test_batch_record_follows_every_file_an_input_reads(tmp_path):
    """A sub-file beside an .ldr and a scene's part in its parts folder are in the record;
    an input with a missing part, or a file saved during its load, keeps no record."""
    from conftest import tiny_scene

    folder = tmp_path / "in"
    main = write(folder, "main.ldr", "0 main\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 wall.ldr\n")
    wall = write(folder, "wall.ldr", "0 wall\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    gap = write(folder, "gap.ldr", "0 gap\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 nosuchpart.dat\n" + PLATE)
    scene = tiny_scene(folder)
    part = write(folder / "parts", "ldscene_test_block.dat", "0 block\n" + BRICKS)
    text = scene.read_text().replace("part: 3001,", "part: ldscene_test_block,", 1)
    assert text != scene.read_text()
    scene.write_text(text)  # the scene's parts/ folder is searched for parts
    saved_earlier(main, wall, gap, scene, part)
    out = tmp_path / "out"
    command = ["render", str(main), str(gap), str(scene), "-o", f"{out}/", "-j", "1"]
    command += ["--width", "96", "--height", "72", "--aa", "1"]

    def rendered() -> set[str]:
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        return {Path(line.split()[1]).name for line in result.output.splitlines()
                if line.startswith("wrote ")}  # fmt: skip

    assert rendered() == {"main.png", "gap.png", "tiny.png"}
    assert rendered() == {"gap.png"}  # a missing part: not recorded
    red = wall.read_text()
    saved_earlier(write(folder, "wall.ldr", red.replace(" 4 ", " 1 ")))
    assert rendered() == {"main.png", "gap.png"}
    saved_earlier(write(folder / "parts", "ldscene_test_block.dat", "0 block\n" + PLATE))
    assert rendered() == {"tiny.png", "gap.png"}
    assert rendered() == {"gap.png"}
    # A file added beside the model that now stands for a library part it uses (not notes).
    saved_earlier(write(folder, "notes.txt", "to do"))
    assert rendered() == {"gap.png"}
    # Another model added to the folder stands for no library part: the others stay.
    other = write(folder, "other.ldr", "0 other\n" + PLATE)
    saved_earlier(other)
    assert rendered() == {"gap.png"}
    other.unlink()
    saved_earlier(write(folder, "3001.dat", "0 my 3001\n" + PLATE))
    assert rendered() == {"main.png", "gap.png", "tiny.png"}
    (folder / "3001.dat").unlink()

    # A file saved once the load had started: what was rendered may be its older text.
    model = load_model(main)
    assert set(model.files) == {main.resolve(), wall.resolve()}
    modified = wall.stat().st_mtime_ns
    assert files_read(model, modified + 10**9) == {
        **{str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in model.files},
        f"{folder.resolve()}{os.sep}": listing_digest(folder.resolve()),
    }
    assert files_read(model, modified) is None
    assert files_read(load_model(gap), time.time_ns()) is None  # a missing part


def test_batch_mixes_scenes_and_models(tmp_path):
    from conftest import tiny_scene

    scene = tiny_scene(tmp_path)
    model = write(tmp_path, "bricks.ldr", BRICKS)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["render", str(scene), str(model), "-o", f"{out}/", "--all-cameras", *TINY]
    )
    assert result.exit_code == 0, result.output
    # The scene's cameras for the scene; --all-cameras means nothing to a model (its iso view).
    assert sorted(p.name for p in out.glob("*.png")) == [
        "bricks.png",
        "tiny-overview.png",
        "tiny-side.png",
    ]


def test_batch_checks_before_any_work(models, tmp_path):
    runner = CliRunner()
    two = [str(models / "bricks.ldr"), str(models / "plate.ldr")]
    result = runner.invoke(cli, ["render", *two, "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "with several inputs, -o names a folder" in result.output
    other = write(tmp_path / "elsewhere", "bricks.ldr", BRICKS)
    result = runner.invoke(cli, ["render", str(models / "bricks.ldr"), str(other), "-o", "o/"])
    assert result.exit_code == 1 and "would both write bricks.png" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["render", str(empty), "-o", str(tmp_path / "o") + "/"])
    assert result.exit_code == 1 and "no .ldr, .mpd or .yaml files" in result.output
    result = runner.invoke(cli, ["render", *two, "-o", "o/", "--format", "tga"])
    assert result.exit_code == 1 and "unknown image format" in result.output
    # One line up front, not one failure per input; --camera without a scene among them.
    result = runner.invoke(cli, ["render", *two, "-o", "o/", "--width", "0"])
    assert result.exit_code == 1 and result.output.count("impossible image width 0") == 1
    result = runner.invoke(cli, ["render", *two, "-o", "o/", "--camera", "x"])
    assert result.exit_code == 1 and "need a scene file (.yaml) among the inputs" in result.output
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    result = runner.invoke(cli, ["render", *two, "-o", f"{blocked}/sub/"])
    assert result.exit_code == 1 and "not writable" in result.output
    assert not (tmp_path / "o").exists()


def test_a_folder_batch_leaves_out_hidden_files(models, tmp_path):
    """macOS's "._model.mpd" resource forks failed the batch as binary data."""
    folder = tmp_path / "in"
    write(folder, "bricks.ldr", BRICKS)
    (folder / "._bricks.ldr").write_bytes(b"\x00\x05\x16\x07junk")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", str(folder), "-o", f"{out}/", *TINY])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.png")) == ["bricks.png"]


def test_a_missing_input_of_a_batch_fails_alone(models, tmp_path):
    # A library part's name is an input, as it is to a single render.
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["render", str(models / "bricks.ldr"), str(models / "nope.ldr"), "3001", "-o",
              f"{out}/", *TINY],
    )  # fmt: skip
    assert result.exit_code == 1
    assert (out / "bricks.png").exists() and (out / "3001.png").exists()
    assert "nope.ldr: no such file, and no library part of that name" in result.output
    assert "check the name" in result.output


def test_a_batch_reports_each_inputs_warnings_as_a_single_render_does(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.ldr").write_text(
        "1 999 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 4 0 0 0 1 0 0 3001.dat\n"
    )
    (folder / "good.ldr").write_text("1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    tiny = [arg for arg in TINY if arg != "-q"]
    result = run_cli("render", str(folder), "-o", f"{tmp_path / 'out'}/", *tiny)
    assert result.returncode == 0, result.stderr
    assert "bad.ldr:1: unknown colour code 999" in result.stderr
    assert "bad.ldr:2: type-1 line needs a colour" in result.stderr
    assert "good.ldr" not in result.stderr
    quiet = run_cli("render", str(folder), "-o", f"{tmp_path / 'q'}/", *TINY)
    assert quiet.returncode == 0 and "warning" not in quiet.stderr


# ----------------------------------------------------------------------------- executors
def test_local_and_inline_executors_render_the_same_frames(tmp_path):
    model = load_model(write(tmp_path, "bricks.ldr", BRICKS))
    options = RenderOptions(width=96, height=72, aa=1)
    inline = render_frames(model, 4, options, jobs=1)
    with LocalExecutor(2) as executor:
        farmed = render_frames(model, 4, options, executor=executor)
    with InlineExecutor() as executor:
        alone = render_frames(model, 4, options, executor=executor)
    for a, b, c in zip(inline, farmed, alone, strict=True):
        assert (np.asarray(a) == np.asarray(b)).all() and (np.asarray(a) == np.asarray(c)).all()


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL")
def test_a_killed_local_worker_is_replaced_and_its_frames_rendered(tmp_path):
    from ldscene.farm.runner import FarmStats

    model = load_model(OMR / "6879-1 - Blizzard Baron.mpd")
    options = RenderOptions(width=160, height=120, aa=1)
    executor = LocalExecutor(2)
    workers = executor.worker_pids()
    assert len(workers) == 2  # started with the executor

    def kill_one() -> None:
        deadline = time.monotonic() + 60
        while not executor.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the workers are importing pyrender for their first frame
        os.kill(workers[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    stats = FarmStats()
    with executor:
        killer.start()
        frames = render_frames(model, 6, options, executor=executor, stats=stats)
    killer.join()
    assert len(frames) == 6 and stats.retried >= 1
    assert workers[0] not in {pid for _, pid in stats.workers}
    expected = render_frames(model, 6, options, jobs=1)
    for a, b in zip(frames, expected, strict=True):
        assert (np.asarray(a) == np.asarray(b)).all()


# ----------------------------------------------------------------------------- --cluster
def test_cluster_address_from_option_or_environment(monkeypatch):
    monkeypatch.delenv("LDSCENE_CLUSTER", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert resolve_cluster(None) is None
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    assert resolve_cluster(None) == "10.0.0.1:6379"
    monkeypatch.setenv("LDSCENE_CLUSTER", "ray://head:10001")
    assert resolve_cluster(None) == "ray://head:10001"
    assert resolve_cluster("auto") == "auto"
    assert resolve_cluster("none") is None  # this machine, whatever the environment says


@pytest.mark.parametrize("command", ["render", "turntable", "post"])
def test_cluster_without_ray_says_what_to_install(command, tmp_path):
    """Ray is an optional extra: with it hidden, --cluster fails in one line, exit 1."""
    model = write(tmp_path, "bricks.ldr", BRICKS)
    out = {"render": "a.png", "turntable": "a.gif", "post": "post"}[command]
    code = (
        "import sys; sys.modules['ray'] = None\n"  # the import fails as if not installed
        "from ldscene.cli import main; sys.argv[0] = 'ldscene'; main()"
    )
    args = [command, str(model), "-o", str(tmp_path / out), "--cluster", "127.0.0.1:1"]
    run = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'ldscene[cluster]'" in lines[0], run.stderr
    assert not (tmp_path / out).exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_unreachable_cluster_is_one_line(scheme, tmp_path):
    pytest.importorskip("ray")
    model = write(tmp_path, "bricks.ldr", BRICKS)
    address = f"{scheme}127.0.0.1:{_free_port()}"  # nothing listens there
    run = subprocess.run(
        [sys.executable, "-m", "ldscene", "render", str(model), "--cluster", address, "-o",
         str(tmp_path / "a.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: cannot reach the Ray cluster at {address}: ")
    assert "connection refused" in lines[0]


@pytest.mark.slow  # a child process
def test_a_port_that_is_not_rays_is_one_line(tmp_path):
    """A web server's port (a typo, or the dashboard's): ray.init retried for good, deaf to
    Ctrl-C and SIGTERM.  An HTTP/2 probe tells it is not a Ray cluster, at once."""
    pytest.importorskip("ray")
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    server = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        model = write(tmp_path, "bricks.ldr", BRICKS)
        address = f"127.0.0.1:{server.server_address[1]}"
        run = subprocess.run(
            [sys.executable, "-m", "ldscene", "render", str(model), "--cluster", address, "-o",
             str(tmp_path / "a.png")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.shutdown()
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"error: {address} does not answer as a Ray cluster does (give the head node's port "
        "(`ray start --head --port`, 6379 by default), or ray://HOST:PORT for a Ray Client "
        "server)"
    ]


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize(
    "signum, status, last",
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "terminated"),
        (signal.SIGHUP, 129, "hung up"),  # the terminal closed: it left temporaries behind
    ],
)
def test_ctrl_c_stops_a_local_batch_and_keeps_what_is_done(tmp_path, signum, status, last):
    """SIGINT (Ctrl-C) or SIGTERM (kill, timeout) mid-batch: exit 130 or 143, the workers stop,
    finished images stay and are recorded (a re-run resumes), no temporary file is left.
    SIGTERM used to leave the workers running and a shared-memory file behind."""
    out = tmp_path / "out"
    driver = subprocess.Popen(
        [sys.executable, "-m", "ldscene", "render", str(OMR), "-o", f"{out}/", "--width", "800",
         "--height", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        # A finished image, not a temporary (`.NAME.ldscene-tmp-XXXX.png` matches *.png too:
        # signalled then, the batch had finished nothing, and the test failed now and then).
        while not (out.is_dir() and any(out.glob("[!.]*.png"))):
            assert driver.poll() is None and time.monotonic() < deadline, driver.stderr.read()
            time.sleep(0.05)
        workers = worker_children(driver.pid)
        shared = set(Path("/dev/shm").glob(f"ldscene-farm-{driver.pid}-*"))  # the driver's
        assert shared or not Path("/dev/shm").is_dir()
        driver.send_signal(signum)
        _, stderr = driver.communicate(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == status and stderr.strip().splitlines()[-1] == last
    assert not [path for path in shared if path.exists()]
    images = sorted(p.name for p in out.glob("*.png"))
    assert 1 <= len(images) < 21
    assert sorted(p.name for p in out.iterdir()) == sorted([*images, MANIFEST])  # no temp files
    import json

    record = json.loads((out / MANIFEST).read_text())["inputs"]
    assert sorted(n for entry in record.values() for n in entry["outputs"]) == images
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


@pytest.mark.slow
@pytest.mark.integration
def test_workers_end_when_their_driver_is_killed(tmp_path):
    """A driver killed outright (SIGKILL: no clean-up of its own) left its worker processes
    running for good, each holding its renderer and meshes."""
    out = tmp_path / "out"
    driver = subprocess.Popen(
        [sys.executable, "-m", "ldscene", "render", str(OMR), "-o", f"{out}/", "--width", "800",
         "--height", "600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (out.is_dir() and any(out.glob("[!.]*.png"))):
            assert driver.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        workers = worker_children(driver.pid)
        assert workers
        driver.kill()
        driver.wait(10)
    finally:
        if driver.poll() is None:
            driver.kill()
    deadline = time.monotonic() + 20
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # do not leave them behind for the next tests
        os.kill(pid, signal.SIGKILL)
    assert not left


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not: it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def worker_children(pid: int) -> list[int]:
    """The worker processes a driver started (its children)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry))
    return children


@pytest.mark.slow  # a child process
def test_a_cluster_address_from_the_environment_is_named_and_a_jobs_url_is_not_one(
    tmp_path, monkeypatch
):
    """An error about $LDSCENE_CLUSTER's address says it came from there; an http://
    $RAY_ADDRESS (Ray Jobs' dashboard, as Ray's docs have users set it) is not a cluster."""
    pytest.importorskip("ray")
    model = write(tmp_path, "bricks.ldr", BRICKS)
    monkeypatch.setenv("LDSCENE_CLUSTER", "garbage")
    result = run_cli("render", str(model), "-o", f"{tmp_path}/o/", *TINY)
    assert result.returncode == 1
    assert "(the address comes from $LDSCENE_CLUSTER)" in result.stderr
    assert "give --cluster none to render here" in result.stderr
    monkeypatch.delenv("LDSCENE_CLUSTER")
    monkeypatch.setenv("RAY_ADDRESS", "http://127.0.0.1:8265")
    assert resolve_cluster(None) is None
    result = run_cli("render", str(model), "-o", str(tmp_path / "one.png"), *TINY)
    assert result.returncode == 0 and (tmp_path / "one.png").is_file()


PARTIAL_RESULT = """
import struct, sys, time
from ldscene.farm.executor import LocalExecutor

def half_sent():
    # As if killed while sending its result: the length of a long message, a few of its
    # bytes, and no more (the pool's worker loop holds the result pipe).
    result_queue = sys._getframe(1).f_locals["result_queue"]
    result_queue._writer._send(struct.pack("!i", 10**6) + b"the first bytes")
    time.sleep(600)

if __name__ == "__main__":
    executor = LocalExecutor(1)
    executor._pool.submit(half_sent)
    time.sleep(0.5)  # the manager thread is reading the message
    executor.cancel()  # what a Ctrl-C does
    print("cancelled", flush=True)
"""


@pytest.mark.slow
def test_a_worker_killed_while_sending_its_result_does_not_hang_the_exit(tmp_path):
    """A Ctrl-C'd turntable said 'interrupted' and then hung for ever, one run in eight: its
    worker was killed while sending a frame back, and the pool's manager thread, which the
    interpreter's exit joins, waited for the rest of the message. Other runs printed
    'OSError: Bad file descriptor' from the exit's wake-up of an ended pool."""
    script = write(tmp_path, "partial.py", PARTIAL_RESULT)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "cancelled", done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr


def test_payload_folders_of_drivers_that_are_gone_are_removed(tmp_path):
    """A driver killed outright leaves its shared-memory payload folder behind (it cannot
    remove it): they piled up, 14 of them and 641 MB. The next local farm removes those of
    drivers that are gone, and keeps those of drivers still running."""
    from ldscene.farm.executor import PAYLOAD_PREFIX, LocalExecutor, _payload_folder

    made = _payload_folder()
    base = made.parent  # where this machine keeps them
    shutil.rmtree(made)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    orphan = base / f"{PAYLOAD_PREFIX}{gone}-test"
    alive = base / f"{PAYLOAD_PREFIX}{os.getppid()}-test"  # pytest's parent: running
    for folder in (orphan, alive):
        folder.mkdir(exist_ok=True)
        (folder / "1.pickle").write_bytes(b"x")
    try:
        LocalExecutor(1).close()
        assert not orphan.exists() and alive.exists()
    finally:
        for folder in (orphan, alive):
            shutil.rmtree(folder, ignore_errors=True)
