"""Write /work/main/parts/ldscene_mg42.dat: MG42 on its bipod, minifig scale.

Convex pieces are emitted as quads/triangles whose right-hand normals point outwards (BFC CCW),
with type-2 edges on creases and type-5 conditional lines along cylinder sides."""

import os
from pathlib import Path

import numpy as np
from lgen import write_part

LINES = []


def f(v):
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def P(*pts):
    return " ".join(f(c) for p in pts for c in p)


def face(pts, centroid, col=16):
    pts = [np.asarray(p, float) for p in pts]
    n = np.cross(pts[1] - pts[0], pts[2] - pts[0])
    c = np.mean(pts, axis=0)
    if n @ (c - centroid) < 0:
        pts = pts[::-1]
    LINES.append(f"{len(pts)} {col} {P(*pts)}")


def edge(a, b):
    LINES.append(f"2 24 {P(a, b)}")


def cond(a, b, c, d):
    LINES.append(f"5 24 {P(a, b, c, d)}")


def hexa(v, col=16):
    """8 vertices: v[0..3] one end loop, v[4..7] the other end loop (same order)."""
    v = [np.asarray(p, float) for p in v]
    c = np.mean(v, axis=0)
    face(v[0:4], c, col)
    face(v[4:8], c, col)
    for i in range(4):
        j = (i + 1) % 4
        face([v[i], v[j], v[j + 4], v[i + 4]], c, col)
    for i in range(4):
        j = (i + 1) % 4
        edge(v[i], v[j])
        edge(v[i + 4], v[j + 4])
        edge(v[i], v[i + 4])


def box(x0, x1, y0, y1, z0, z1, col=16):
    hexa(
        [
            (x0, y0, z0),
            (x1, y0, z0),
            (x1, y1, z0),
            (x0, y1, z0),
            (x0, y0, z1),
            (x1, y0, z1),
            (x1, y1, z1),
            (x0, y1, z1),
        ],
        col,
    )


def cyl(a, b, r0, r1=None, n=12, col=16, caps=(True, True)):
    """Frustum from a (radius r0) to b (radius r1)."""
    r1 = r0 if r1 is None else r1
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    d /= np.linalg.norm(d)
    t = np.array([0, 1.0, 0]) if abs(d[1]) < 0.9 else np.array([1.0, 0, 0])
    e1 = np.cross(d, t)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(d, e1)
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ra = [a + r0 * (np.cos(q) * e1 + np.sin(q) * e2) for q in ang]
    rb = [b + r1 * (np.cos(q) * e1 + np.sin(q) * e2) for q in ang]
    c = (a + b) / 2
    for i in range(n):
        j = (i + 1) % n
        face([ra[i], ra[j], rb[j], rb[i]], c, col)
        edge(ra[i], ra[j])
        edge(rb[i], rb[j])
        cond(ra[i], rb[i], ra[i - 1], ra[j])
    for end, ring, cap in ((a, ra, caps[0]), (b, rb, caps[1])):
        if not cap:
            continue
        # cap centre is pushed slightly outside so the fan orientation test is robust
        for i in range(n):
            j = (i + 1) % n
            tri = [end, ring[i], ring[j]]
            n_ = np.cross(tri[1] - tri[0], tri[2] - tri[0])
            outward = end - c
            if n_ @ outward < 0:
                tri = [tri[0], tri[2], tri[1]]
            LINES.append(f"3 {col} {P(*tri)}")


def build():
    ax = -14.0  # bore axis height
    # receiver and top cover
    box(-3.5, 3.5, ax - 4, ax + 4, -8, 20)
    box(-4, 4, ax - 6, ax - 4, -6, 16)  # feed cover
    # rear sight block
    box(-1.5, 1.5, ax - 8, ax - 6, 8, 12)
    # barrel jacket (perforated in reality) and its front collar
    cyl((0, ax, -8), (0, ax, -44), 3.4)
    for zc in (-16, -24, -32):  # cooling-slot rows suggested by thin black rings
        cyl((0, ax, zc), (0, ax, zc - 2.5), 3.45, col=0, caps=(False, False))
    cyl((0, ax, -44), (0, ax, -48), 3.0, 2.6)
    # muzzle booster / flash hider
    cyl((0, ax, -48), (0, ax, -55), 2.0)
    cyl((0, ax, -55), (0, ax, -59), 2.6, 3.0)
    # front sight
    box(-0.8, 0.8, ax - 7, ax - 3.4, -43, -41)
    # feed tray with a short ammo belt stub on the left (+X)
    box(3.5, 9, ax - 3, ax + 0, -4, 4)
    box(9, 12, ax - 2, ax + 6, -3, 3, col=0)
    # pistol grip (slanted) and trigger guard
    hexa(
        [
            (-2.5, ax + 4, 8),
            (2.5, ax + 4, 8),
            (2.5, ax + 4, 14),
            (-2.5, ax + 4, 14),
            (-2.5, ax + 13, 12),
            (2.5, ax + 13, 12),
            (2.5, ax + 13, 18),
            (-2.5, ax + 13, 18),
        ]
    )
    box(-1, 1, ax + 4, ax + 7, 3, 8)
    # stock: tapered towards the butt
    hexa(
        [
            (-3, ax - 3, 20),
            (3, ax - 3, 20),
            (3, ax + 4, 20),
            (-3, ax + 4, 20),
            (-3.5, ax - 3, 44),
            (3.5, ax - 3, 44),
            (3.5, ax + 10, 44),
            (-3.5, ax + 10, 44),
        ]
    )
    # bipod: hinge block under the jacket front, two splayed legs with feet
    box(-2.5, 2.5, ax + 3, ax + 6, -40, -36)
    for s in (-1, 1):
        top = np.array([s * 1.5, ax + 5, -38])
        foot = np.array([s * 9.0, -0.8, -46])
        cyl(top, foot, 0.9, n=6)
        box(s * 9 - 1.6, s * 9 + 1.6, -1.6, 0, -47.6, -44.4)


def write(path):
    build()
    write_part(
        path,
        "MG42 Machine Gun on Bipod (minifig scale)",
        "ldscene_mg42.dat",
        [
            "Origin: centre of the ground plane under the gun; barrel along -Z.",
            "Bore axis 14 LDU above the ground; 5.3 studs long, bipod feet 18 LDU apart.",
        ],
        LINES,
    )
    print("wrote", path, len(LINES), "lines")


if __name__ == "__main__":
    os.makedirs(Path(__file__).resolve().parents[3] / "parts", exist_ok=True)
    write(str(Path(__file__).resolve().parents[3] / "parts" / "ldscene_mg42.dat"))
