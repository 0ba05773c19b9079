"""Generate factory pieces, gantry crane, MG42 nest."""

from pathlib import Path

import numpy as np
from lgen import BRICKS, I3, PLATES, Model, compose, fill, rx, ry, rz

OUT = str(Path(__file__).resolve().parents[1])
STEEL = 72


def chain(m, a, b, col=0, pitch=12.82):
    """Minifig chain links (60169k02) from point a to point b (LDU)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    L = np.linalg.norm(d)
    d /= L
    # two perpendiculars
    t = np.array([1.0, 0, 0]) if abs(d[0]) < 0.9 else np.array([0, 0, 1.0])
    e1 = np.cross(d, t)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(d, e1)
    n = max(1, int(L // pitch))
    for i in range(n):
        ex = e1 if i % 2 == 0 else e2
        ez = np.cross(ex, d)
        R = np.column_stack([ex, d, ez])  # local Y along the chain
        p = a + d * (i * pitch + 14)
        m.add(col, "60169k02", p, R)


# ----------------------------------------------------------------------------------------
# brick walls


def wall(name, title, heights, openings, windows, seed, rubble=0, depth=2):
    """heights: courses per stud column (16 columns). openings: (i0, i1, k0, k1) stud/course
    ranges left empty. windows: (i0, k_top, glass, bars, tilt)."""
    rng = np.random.default_rng(seed)
    m = Model(title, name)
    W = len(heights)
    x0 = -W * 10
    palette = [70] * 7 + [320] * 3 + [6] * 1
    z = 0 if depth == 2 else 0

    def empty(i, k):
        return any(a <= i < b and c <= k < d for (a, b, c, d) in openings)

    kmax = max(heights)
    for k in range(kmax):
        y = -24 * (k + 1)
        solid = [k < heights[i] and not empty(i, k) for i in range(W)]
        i = 0
        while i < W:
            if not solid[i]:
                i += 1
                continue
            j = i
            while j < W and solid[j]:
                j += 1
            # split the run [i, j) at running-bond joints
            cuts = [c for c in range(i + 1, j) if (c + 2 * (k % 2)) % 4 == 0]
            edges = [i] + cuts + [j]
            for a, b in zip(edges[:-1], edges[1:]):
                n = b - a
                col = palette[rng.integers(len(palette))]
                if k >= min(heights[a:b]) - 1 and rng.random() < 0.25:
                    col = 308  # scorched top bricks
                cx = x0 + (a + n / 2) * 20
                if n == 1:
                    m.add(col, "3004", (cx, y, z), ry(90))
                else:
                    m.add(col, BRICKS[(2, n)], (cx, y, z))
            i = j
    m.step()
    for i0, ktop, glass, bars, tilt in windows:
        cx = x0 + (i0 + 2) * 20
        ytop = -24 * ktop
        m.add(STEEL, "30179", (cx, ytop, -10))
        if glass:
            R = rx(tilt) if tilt else I3
            m.add(47, "57895", (cx, ytop + 4, -14), R)
        if bars:
            for yc in (ytop + 40, ytop + 104):
                m.add(STEEL, "6016", (cx, yc, -6))
    if rubble:
        m.step()
        m.comment("rubble")
        parts = ["3001", "3003", "3004", "3002", "3005", "3010", "3622"]
        for _ in range(rubble):
            p = parts[rng.integers(len(parts))]
            col = [70, 70, 320, 6, 72, 71, 308][rng.integers(7)]
            side = rng.choice([-1, 1])
            xx = rng.normal(0, W * 5)
            zz = side * (32 + abs(rng.normal(0, 30)))
            near = abs(zz) < 55 and abs(xx) < W * 8
            h = float(rng.choice([0, 0, 10, 18])) if near else 0.0
            R = ry(rng.uniform(0, 360)) @ rx(rng.uniform(-20, 20)) @ rz(rng.uniform(-20, 20))
            m.add(col, p, (xx, -20 - h, zz), R)
    return m


def smooth_profile(rng, W, base, amp, jag):
    h = np.full(W, float(base))
    walk = 0.0
    for i in range(W):
        walk += rng.normal(0, jag)
        walk = np.clip(walk, -amp, amp)
        h[i] += walk
    return [int(max(1, round(v))) for v in h]


def factory_wall():
    rng = np.random.default_rng(7)
    heights = smooth_profile(rng, 16, 15, 3, 1.4)
    heights = [max(h, 12) for h in heights]
    openings = [(2, 6, 4, 10), (10, 14, 4, 10)]
    windows = [(2, 10, True, False, 0), (10, 10, False, False, 0)]
    m = wall(
        "factory_wall.ldr",
        "STZ Factory Wall Section (bombed top)",
        heights,
        openings,
        windows,
        seed=11,
    )
    # a pane hanging loose in the right window, fallen glass below
    m.add(47, "57895", (80, -236, -34), rx(-12))
    return m


def factory_wall_ruined():
    rng = np.random.default_rng(3)
    heights = smooth_profile(rng, 16, 13, 4, 2.0)
    heights[0] = max(heights[0], 9)
    heights = [max(2, h) for h in heights]
    # a shell hole through the middle: elliptical gap
    openings = []
    cx, ck, rx_, rk = 9.5, 5.0, 3.6, 3.2
    for i in range(16):
        for k in range(20):
            if ((i + 0.5 - cx) / rx_) ** 2 + ((k + 0.5 - ck) / rk) ** 2 < 1.0:
                openings.append((i, i + 1, k, k + 1))
    openings.append((1, 5, 4, 10))
    windows = [(1, 10, False, False, 0)]
    return wall(
        "factory_wall_ruined.ldr",
        "STZ Factory Wall Section (shell hole, ruined)",
        heights,
        openings,
        windows,
        seed=5,
        rubble=38,
    )


# ----------------------------------------------------------------------------------------
def steel_column():
    m = Model("STZ Factory Steel Column (lattice, 20 bricks + caps)", "steel_column.ldr")
    m.add(STEEL, "3031", (0, -8, 0))  # 4x4 base plate
    for dx in (-20, 20):
        m.add(STEEL, "30517", (dx, -248, 0))
        m.add(STEEL, "30517", (dx, -488, 0))
    m.add(STEEL, "3031", (0, -496, 0))
    # bracket for a crane rail / truss seat
    m.add(STEEL, "3020", (0, -504, 0), ry(90))
    return m


def roof_truss():
    m = Model("STZ Factory Roof Truss (32 studs span)", "roof_truss.ldr")
    # bottom chord: two triangular girders end to end, underside at y=0
    for x in (-160, 160):
        m.add(STEEL, "30518", (x, -45, 0))
    th = 15.0
    h = 320 * np.sin(np.radians(th))
    for side in (-1, 1):
        R = rz(side * th)
        mid = np.array([side * 160 * np.cos(np.radians(th)), -48 - h / 2, 0])
        pos = mid - R @ np.array([0, 45, 0])
        m.add(STEEL, "30518", pos, R)
    # vertical web members: technic beams
    beams = {2: "43857", 3: "32523", 5: "32316", 7: "32524"}
    for side in (-1, 1):
        for xs in (80, 160, 240):
            gap = h * (1 - xs / 309.0) - 6
            n = max(2, min(7, int(round(gap / 20)) + 1))
            while n not in beams:
                n -= 1
            yc = -48 - gap / 2
            m.add(STEEL, beams[n], (side * xs, yc, 0), rx(90))
    # end seats
    for x in (-300, 300):
        m.add(STEEL, "3020", (x, 0, 0), ry(90) @ rx(180))
    return m


def factory_floor():
    """32 x 32 studs of dark grey plates (top at y=-8) with worn concrete tiles and cracks."""
    m = Model("STZ Factory Floor 32 x 32 (concrete, dark grey)", "factory_floor.ldr")
    rng = np.random.default_rng(2)
    for ix in range(2):
        for iz in range(4):
            m.add(STEEL, "92438", (-160 + ix * 320, -8, -240 + iz * 160))
    used = set()
    for _ in range(60):
        i, j = int(rng.integers(0, 15)), int(rng.integers(0, 31))
        cells = {(i * 2 + a, j + b) for a in range(2) for b in range(1)}
        cells = {(2 * i + a, j) for a in range(2)} | {(2 * i + a, j + 1) for a in range(2)}
        if cells & used or j > 30:
            continue
        used |= cells
        col = [71, 72, 72, 8, 71][rng.integers(5)]
        # 2x2 slab tile at stud cell (2i..2i+1, j..j+1)
        m.add(col, "3068b", (-320 + 40 * i + 20, -16, -320 + 20 * j + 20))
    return m


# ----------------------------------------------------------------------------------------
def gantry_crane():
    """Free-standing gantry crane spanning 32 studs (X); hook hangs at HOOK."""
    m = Model("STZ Gantry Crane (32 studs span) with hoist and hook", "gantry_crane.ldr")
    # legs: sill on wheels, lattice tower, cap
    for xs in (-300, 300):
        m.add(STEEL, "3007", (xs, -24 - 8, 0), ry(90))  # 2x8 sill brick along Z
        for zw in (-60, 60):
            for dx in (-22, 22):
                m.add(0, "4624c01", (xs + dx, -18, zw), ry(90))
        m.add(STEEL, "3034", (xs, -40, 0), ry(90))
        for zc in (-40, 40):
            m.add(STEEL, "30517", (xs, -40 - 240, zc))
            m.add(STEEL, "2580c01", (xs, -280 - 120, zc))
        fill(m, STEEL, xs - 20, -80, 2, 8, -408, PLATES)
    # bridge: two lattice girders per side of the hoist gap, end to end
    gy = -408 - 45
    for zc in (-40, 40):
        for x in (-160, 160):
            m.add(STEEL, "30518", (x, gy, zc))
    # walkway plates on top
    # trolley with winch
    ty = gy - 4
    m.add(14 if False else STEEL, "3032", (0, ty - 4, 0), ry(90))
    m.add(1 if False else 0, "3750c01", (0, ty - 4 - 48, 0))
    m.add(STEEL, "3020", (0, ty - 12, 40))
    m.add(STEEL, "3020", (0, ty - 12, -40))
    # hoist chain down between the girders to the hook block
    top = np.array([0.0, gy + 10, 0])
    hook_block_y = HOOK_BLOCK_Y
    chain(m, top, (0, hook_block_y - 14, 0))
    m.add(STEEL, "3022", (0, hook_block_y - 8, 0))
    m.add(0, "3136", (0, hook_block_y, 0))
    return m


HOOK_BLOCK_Y = -312  # low: the turret it carries is a plate or two above the hull, being set down
# the hook's bowl (where a sling ring rests), relative to the 3136 origin
HOOK_BOWL = (0, 58, 11)


def turret_slung():
    """Turret hanging on four chains from a ring: origin = the ring (hook point)."""
    from t34 import turret

    t = turret()
    m = Model("T-34/76 Turret slung on chains (origin = hook point)", "t34_turret_slung.ldr")
    drop = 120
    compose(m, t, (0, drop, 0))
    for x, z in ((-40, -40), (40, -40), (-40, 40), (40, 40)):
        chain(m, (0, 6, 0), (x * 0.9, drop - 64, z * 0.9))
    m.add(0, "6141", (0, 0, 0))  # ring
    return m


# ----------------------------------------------------------------------------------------
def mg42_nest():
    """A firing position, as builders make one: a low arc of sandbags in front (one course,
    the gun on its bipod on top of it, at a kneeling gunner's shoulder height) and the
    ammunition box with the belt running into the gun.  The scene puts rubble and snow round it."""
    m = Model("MG42 Nest: sandbag arc, MG42 on bipod, ammunition", "mg42_nest.ldr")
    rng = np.random.default_rng(9)
    R0 = 80
    # one course in a front arc (-168..-12 deg; front = -Z): the kneeling crew shows above it
    for k, angles in ((0, np.linspace(-168, -12, 7)),):
        for a_deg in angles:
            a = np.radians(a_deg + rng.uniform(-3, 3))
            x, z = R0 * np.cos(a), R0 * np.sin(a)
            rot = ry(-np.degrees(a) - 90 + rng.uniform(-6, 6))
            col = [19, 19, 28, 19][rng.integers(4)]
            m.add(col, "35477", (x, -32 * (k + 1), z), rot)
    # a flattened bag (tile) on the middle of the front course, the gun's bipod on it, so
    # its bore is at a kneeling gunner's shoulder (54 LDU); pointing -Z
    m.add(19, "2431", (-2, -40, -79), ry(2))
    gun_z = -34
    m.add(72, "ldscene_mg42.dat", (0, -40, gun_z))
    # the ammunition box at the left flank, its lid open, and the belt from it up into the
    # gun's feed tray on the left (+X) side
    m.add(288, "3003", (42, -24, -36), ry(8))
    m.add(288, "3069b", (42, -32, -46), ry(8))
    chain(m, (44, -32, -38), (13, -52, gun_z), col=297, pitch=10)
    return m


def write_all():
    import os

    os.makedirs(OUT, exist_ok=True)
    for fn in (
        factory_wall,
        factory_wall_ruined,
        steel_column,
        roof_truss,
        factory_floor,
        gantry_crane,
        turret_slung,
        mg42_nest,
    ):
        m = fn()
        m.write(f"{OUT}/{m.name}")
        print("wrote", m.name, len([ln for ln in m.lines if ln.startswith("1 ")]), "parts")


if __name__ == "__main__":
    write_all()
