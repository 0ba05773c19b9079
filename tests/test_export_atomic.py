"""An OBJ export writes its .obj and .mtl together or not at all."""

from __future__ import annotations

import os

from conftest import run_cli, write


def test_obj_export_with_a_read_only_mtl_writes_nothing(tmp_path):
    model = write(tmp_path, "brick.ldr", "0 brick\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    out = tmp_path / "out" / "brick.obj"
    out.parent.mkdir()
    mtl = out.with_suffix(".mtl")
    mtl.write_text("kept\n")
    os.chmod(mtl, 0o444)
    done = run_cli("export", str(model), "-o", str(out))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "brick.mtl" in done.stderr, done.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["brick.mtl"]  # no .obj, no temps
    assert mtl.read_text() == "kept\n"
