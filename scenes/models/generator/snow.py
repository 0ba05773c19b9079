"""Write /work/main/parts/ldscene_snow_drift.dat: a low, wind-shaped snow drift (8 x 5 studs)."""

from pathlib import Path

import numpy as np
from lgen import write_part


def f(v):
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def main(path):
    rng = np.random.default_rng(4)
    A, B, H = 80.0, 50.0, 22.0  # half-length (x), half-width (z), peak height (LDU)
    nr, nt = 7, 28
    th = np.linspace(0, 2 * np.pi, nt, endpoint=False)
    rs = np.linspace(0, 1, nr + 1)[1:]
    wobble = 1 + 0.12 * np.sin(3 * th + 0.7) + 0.06 * np.sin(5 * th + 2.1)
    bump = rng.normal(0, 0.06, (nr, nt))
    pts = np.zeros((nr, nt, 3))
    for i, r in enumerate(rs):
        x = A * r * np.cos(th) * wobble
        z = B * r * np.sin(th) * wobble
        # wind-shaped: steeper lee side towards -X
        skew = 1 + 0.35 * np.cos(th)
        h = H * np.clip(1 - r**2, 0, 1) ** 0.9 * skew * (1 + bump[i])
        if i == nr - 1:
            h = np.zeros(nt)
        pts[i] = np.column_stack([x, -h, z])
    apex = np.array([A * 0.12, -H * 1.05, 0.0])
    tris = []
    for j in range(nt):
        k = (j + 1) % nt
        tris.append((apex, pts[0, j], pts[0, k]))
        for i in range(nr - 1):
            a, b, c, d = pts[i, j], pts[i, k], pts[i + 1, k], pts[i + 1, j]
            tris.append((a, d, c))
            tris.append((a, c, b))
    out = []
    for t in tris:
        t = [np.asarray(p) for p in t]
        n = np.cross(t[1] - t[0], t[2] - t[0])
        if n[1] > 0:  # must face up (-Y)
            t = [t[0], t[2], t[1]]
        out.append("3 16 " + " ".join(f(c) for p in t for c in p))
    # flat underside facing down (+Y)
    ring = pts[-1]
    for j in range(nt):
        k = (j + 1) % nt
        t = [np.zeros(3), ring[j], ring[k]]
        n = np.cross(t[1] - t[0], t[2] - t[0])
        if n[1] < 0:
            t = [t[0], t[2], t[1]]
        out.append("3 16 " + " ".join(f(c) for p in t for c in p))
    write_part(
        path,
        "Snow Drift  8 x  5 x  1",
        "ldscene_snow_drift.dat",
        [
            "Origin: centre of the flat underside (ground plane); ~8 x 5 studs, ~1 brick tall.",
            "Smooth surface: no edge lines on purpose (snow has no creases).",
        ],
        out,
    )
    print("wrote", path, len(out), "triangles")


if __name__ == "__main__":
    main(str(Path(__file__).resolve().parents[3] / "parts" / "ldscene_snow_drift.dat"))
