"""Snow the way builders build it, for the STZ diorama: white plates stacked into drifts, tiles
for smooth tops, curved slopes (11477 2 x 1, 50950 3 x 1) where a drift falls away, and the
white baseplate's own studs where the snow is thin.

Writes, into scenes/models/:
  snow_yard.ldr         the factory yard: a tile cover, a drift along the hall's open front,
                        mounds round the anti-tank obstacles, berms beside the tank ruts, a
                        drift behind the broken wall the wounded soldier shelters at
  snow_hall.ldr         inside the roofless hall: drifts against the back and left walls and
                        a heap where the roof came down
  factory_wall_snow.ldr / factory_wall_ruined_snow.ldr
                        caps on the wall tops and window sills, in the wall models' own frames
                        (place them with the same at/yaw as the walls)

The yard and hall models are in scene coordinates: place them at [0, 0, 0] in
stalingrad_stz.yaml.  Everything they must not bury (walls, columns, tanks, figures, the
ruts, the MG42 nest) is listed below in scene studs (x right, z towards the viewer), so
change those lists when the scene's layout changes.

The build: a height map in plates per stud cell.  Each layer of a cell is a plate, its top
layer a tile (smooth snow), except where a curved slope stands on it: where a cell is 2 (or
3) plates higher than the next two (three) cells in one direction and those are level, a
11477 (50950) slope runs down over them.  A staircase of 2-plate steps two studs apart so
becomes a curved drift.  Equal neighbours in a layer are merged into bigger plates and tiles.
"""

from pathlib import Path

import numpy as np
from lgen import PLATES, TILES, Model, ry

OUT = Path(__file__).resolve().parents[1]
WHITE = 15
PLATE = 8

# ------------------------------------------------------------------------------------------
# the scene's layout, in scene studs: rectangles (x0, z0, x1, z1) kept free of snow


def rect_cells(x0, z0, x1, z1):
    """Cells (integer stud corners) that a rectangle touches."""
    return {
        (ix, iz)
        for ix in range(int(np.floor(x0)), int(np.ceil(x1)))
        for iz in range(int(np.floor(z0)), int(np.ceil(z1)))
    }


def disc_cells(cx, cz, r):
    return {
        (ix, iz)
        for ix in range(int(cx - r) - 1, int(cx + r) + 2)
        for iz in range(int(cz - r) - 1, int(cz + r) + 2)
        if (ix + 0.5 - cx) ** 2 + (iz + 0.5 - cz) ** 2 <= r * r
    }


RUTS_X = (-16, -10)  # centres of the two 2-stud-wide tank ruts (tiles in the scene)
HEDGEHOGS = [(3, 15), (-29, 21.5), (21, 20)]
NEST = (27, 5, 5.2)  # MG42 nest centre and radius
CHUNK = (-21, 14.5)  # the broken wall in the yard (wounded group origin)

YARD_FREE = (
    set().union(*(rect_cells(x - 1, 8, x + 1, 24) for x in RUTS_X))
    | disc_cells(*NEST)
    | rect_cells(CHUNK[0] - 4, CHUNK[1] - 0.5, CHUNK[0] + 4, CHUNK[1] + 1.5)  # the wall piece
)
# the wounded pair sit and kneel on a thin cover: nothing thicker than a tile there
YARD_THIN = rect_cells(CHUNK[0] - 3.5, CHUNK[1] + 1.6, CHUNK[0] + 4.5, CHUNK[1] + 7)

HALL_FREE = (
    # steel columns (4 x 4 bases)
    rect_cells(-26, -21, -22, -17)
    | rect_cells(-4, -21, 0, -17)
    | rect_cells(17, -21, 21, -17)
    | rect_cells(-26, 4, -22, 8)
    | rect_cells(17, 4, 21, 8)
    # drums, crates, spare wheels
    | rect_cells(-15.5, -21, -10.5, -16.5)
    | rect_cells(-21.5, -17.5, -18.5, -13)
    | rect_cells(-5, -17, -1, -11)
    # the tanks and the crane's rails
    | rect_cells(-18.5, -15.5, -7.5, 5.5)
    | rect_cells(3.5, -19, 14.5, 1)
    | rect_cells(-7.5, -13.5, -4.5, -4.5)
    | rect_cells(22.5, -13.5, 25.5, -4.5)
    # the fallen truss's foot and the roof sheets beside it
    | rect_cells(-4, 1, 1, 8)
    # the ruined right wall and its rubble, the back-right stub, the nest
    | rect_cells(18, -22, 32, -2)
    | disc_cells(*NEST)
)


def floor_tile_cells():
    """Cells where the hall floor has a 2 x 2 tile on it (one plate higher)."""
    cells = set()
    text = (OUT / "factory_floor.ldr").read_text()
    for fx in (-16, 16):  # the two floor models, at (fx, 0, -8) in the scene
        for line in text.splitlines():
            t = line.split()
            if len(t) >= 15 and t[0] == "1" and t[14].lower() == "3068b.dat":
                x, z = fx + float(t[2]) / 20, -8 - float(t[4]) / 20
                cells |= rect_cells(x - 1, z - 1, x + 1, z + 1)
    return cells


# ------------------------------------------------------------------------------------------
# height map -> bricks

DIRS = [(1, 0), (-1, 0), (0, 1), (0, -1)]
# curved slopes: (part, length in studs, height in plates, origin: "bottom" or "top")
SLOPES = [("50950", 3, 3, "top"), ("11477", 2, 2, "bottom")]


def build(m, H, base, allowed, rng, studs=0.08):
    """Emit the bricks for height map H (cell -> plates) over base heights (cell -> LDU);
    slopes may run onto `allowed` cells only.

    `studs`: share of top cells left as plates (studs showing) instead of tiles."""
    claimed = {}  # cell -> level (plates) a slope stands on
    slopes = []
    order = sorted(H, key=lambda c: (-H[c], c))
    for c in order:
        h = H[c]
        for dx, dz in DIRS if rng.random() < 0.5 else DIRS[::-1]:
            for part, n, rise, origin in SLOPES:
                run = [(c[0] + dx * k, c[1] + dz * k) for k in range(1, n + 1)]
                b = h - rise
                if b < 0 or any(r not in allowed or H.get(r, 0) != b or r in claimed for r in run):
                    continue
                if any(base.get(r) != base.get(c) for r in run):
                    continue
                for r in run:
                    claimed[r] = b
                slopes.append((part, run, b, (dx, dz), origin, rise))
                break
    layers = {}  # (bottom LDU, "plate" | "tile") -> cells
    for c, h in H.items():
        for k in range(1, h + 1):
            stud = k < h or claimed.get(c) == k or rng.random() < studs
            layers.setdefault((base[c] + (k - 1) * PLATE, stud), set()).add(c)
    for (bottom, stud), cells in sorted(layers.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        cat = PLATES if stud else TILES
        for x0, z0, sx, sz in merge(cells, cat):
            part = cat[tuple(sorted((sx, sz)))]
            pos = (20 * (x0 + sx / 2), -(bottom + PLATE), -20 * (z0 + sz / 2))
            m.add(WHITE, part, pos, np.eye(3) if sx >= sz else ry(90))
    for part, run, b, (dx, dz), origin, rise in slopes:
        cx = np.mean([r[0] for r in run]) + 0.5
        cz = np.mean([r[1] for r in run]) + 0.5
        bottom = base[run[0]] + b * PLATE
        y = -bottom if origin == "bottom" else -(bottom + rise * PLATE)
        # the high end (+Z of the part) towards the drift: against the scene direction (dx, dz),
        # which is (dx, -dz) in LDraw axes
        theta = np.degrees(np.arctan2(-dx, dz))
        m.add(WHITE, part, (20 * cx, y, -20 * cz), ry(theta))
    return len(slopes)


def merge(cells, cat):
    """Greedy cover of a set of cells by catalogue pieces (largest first, both ways round),
    each returned as (x0, z0, sx, sz) with all its cells in the set."""
    sizes = sorted({(a, b) for a, b in cat} | {(b, a) for a, b in cat}, key=lambda s: -s[0] * s[1])
    sizes = [s for s in sizes if max(s) <= 6 and min(s) <= 2]
    left = set(cells)
    out = []
    for c in sorted(cells, key=lambda c: (c[1], c[0])):
        if c not in left:
            continue
        for sx, sz in sizes:
            block = {(c[0] + i, c[1] + j) for i in range(sx) for j in range(sz)}
            if block <= left:
                left -= block
                out.append((c[0], c[1], sx, sz))
                break
    return out


def noise(rng, shape, scale):
    """Smooth value noise in 0..1 on a grid."""
    coarse = rng.random((shape[0] // scale + 2, shape[1] // scale + 2))
    xs = np.arange(shape[0]) / scale
    zs = np.arange(shape[1]) / scale
    i, j = xs.astype(int), zs.astype(int)
    fx, fz = (xs - i)[:, None], (zs - j)[None, :]
    fx, fz = fx * fx * (3 - 2 * fx), fz * fz * (3 - 2 * fz)
    a = coarse[i][:, j]
    b = coarse[i + 1][:, j]
    c = coarse[i][:, j + 1]
    d = coarse[i + 1][:, j + 1]
    return a * (1 - fx) * (1 - fz) + b * fx * (1 - fz) + c * (1 - fx) * fz + d * fx * fz


# ------------------------------------------------------------------------------------------


def yard():
    rng = np.random.default_rng(1942)
    m = Model("STZ yard snow: tile cover, drifts, mounds (scene coordinates)", "snow_yard.ldr")
    xs, zs = range(-32, 32), range(8, 24)
    n = noise(rng, (64, 16), 4)
    n2 = noise(rng, (64, 16), 3)
    H, base = {}, {}
    for i, ix in enumerate(xs):
        for j, iz in enumerate(zs):
            c = (ix, iz)
            base[c] = 0
            h = 1 if n[i, j] > 0.38 else 0  # smooth cover, baseplate studs between
            if n2[i, j] > 0.62:  # low wind-blown mounds on the cover
                h = (
                    3 if n2[i, j] > 0.74 else 1
                )  # the drift along the hall's open front, 4 plates at the floor edge
            d = iz - 8 + (1 if n[i, j] < 0.3 else 0)
            h = max(h, {0: 4, 1: 4, 2: 2, 3: 2}.get(d, 0))
            # berms of pushed-up snow beside the ruts
            for rx in RUTS_X:
                if abs(ix + 0.5 - rx) in (1.5, 2.5):
                    h = max(h, 2)
            # mounds blown against the hedgehogs
            for hx, hz in HEDGEHOGS:
                r = np.hypot(ix + 0.5 - hx, iz + 0.5 - (hz - 0.6))
                if r < 1.6:
                    h = max(h, 4)
                elif r < 3.2:
                    h = max(h, 2)
            # the drift behind the broken wall, up to its second course
            if CHUNK[0] - 3.5 <= ix + 0.5 <= CHUNK[0] + 3.5:
                back = CHUNK[1] - 0.5 - (iz + 1)  # cells between it and the wall
                h = max(h, {0: 6, 1: 6, 2: 4, 3: 4, 4: 2, 5: 2}.get(int(back), 0))
            if c in YARD_THIN:
                h = min(h, 1)
            if c in YARD_FREE:
                h = 0
            if h:
                H[c] = h
    allowed = {c for c in base if c not in YARD_FREE}
    k = build(m, H, base, allowed, rng, studs=0.1)
    print("yard:", len(H), "cells,", k, "slopes")
    return m


def hall():
    rng = np.random.default_rng(43)
    m = Model(
        "STZ hall snow: drifts against the walls, a heap under the broken roof", "snow_hall.ldr"
    )
    tiles = floor_tile_cells()
    H, base = {}, {}

    def put(c, h):
        if c in HALL_FREE or h <= 0:
            return
        H[c] = max(H.get(c, 0), h)

    profile = [6, 6, 4, 4, 2, 2]  # plates, from the wall outwards
    # against the left wall (inner face x = -30), z -16..4
    for iz in range(-17, 4):
        shift = int(rng.integers(-1, 2))
        for d in range(8):
            k = d + shift
            if 0 <= k < len(profile):
                put((-30 + d, iz), profile[k] - (1 if iz in (-17, 3) else 0))
    # against the back wall (inner face z = -22), between the things standing there
    for x0, x1, prof in (
        (-30, -26, profile),
        (-22, -15, profile),
        (-10, -4, profile),
        (0, 17, [4, 4, 2, 2, 1]),
    ):
        for ix in range(x0, x1):
            shift = int(rng.integers(-1, 2))
            for d in range(8):
                k = d + shift
                if 0 <= k < len(prof):
                    end = ix in (x0, x1 - 1)
                    put((ix, -22 + d), prof[k] - (2 if end else 0))
    # a heap where the roof came down, round the fallen truss's foot and sheets
    # (a core four plates high, a two-stud ring two high: curved slopes run off both)
    for cx, cz, r in ((-6.0, 3.0, 3.2), (2.5, 3.5, 2.8), (-1.5, -2.5, 2.6)):
        for c in disc_cells(cx, cz, r):
            dist = np.hypot(c[0] + 0.5 - cx, c[1] + 0.5 - cz)
            put(c, 4 if dist < r - 2 else 2)
    for ix in range(-30, 32):
        for iz in range(-22, 8):
            base[(ix, iz)] = 16 if (ix, iz) in tiles else 8  # floor plates' top, or a tile's
    for c in list(H):
        if c in tiles:  # the floor tile is the first layer there
            H[c] -= 1
    H = {c: h for c, h in H.items() if h > 0}
    allowed = {c for c in base if c not in HALL_FREE}
    k = build(m, H, base, allowed, rng, studs=0.05)
    print("hall:", len(H), "cells,", k, "slopes")
    return m


def wall_caps(src, name, title):
    """Snow caps on a wall model's top bricks and window sills, in the wall's own frame."""
    m = Model(title, name)
    tops = {}  # stud column (x index) -> top y (LDU, -y up) of the wall itself
    frames = []
    for line in (OUT / src).read_text().splitlines():
        t = line.split()
        if line.startswith("0 // rubble"):
            break
        if len(t) < 15 or t[0] != "1":
            continue
        part = t[14].lower()
        x, y, z = (float(v) for v in t[2:5])
        if part == "30179.dat":
            frames.append((x, y))
            continue
        if abs(z) > 1:  # only the wall's own bricks (centred on z = 0)
            continue
        a = np.array([float(v) for v in t[5:14]]).reshape(3, 3)
        length = {
            "3004.dat": 2,
            "3005.dat": 1,
            "3622.dat": 3,
            "3010.dat": 4,
            "3009.dat": 6,
            "3008.dat": 8,
            "3003.dat": 2,
            "3002.dat": 3,
            "3001.dat": 4,
            "2456.dat": 6,
            "3007.dat": 8,
            "3006.dat": 10,
        }.get(part)
        if length is None:
            continue
        along_x = abs(a[0, 0]) > 0.5
        n = (
            length
            if along_x
            and part in ("3001.dat", "3002.dat", "3003.dat", "2456.dat", "3007.dat", "3006.dat")
            else (1 if not along_x else length)
        )
        if part in ("3004.dat",) and not along_x:
            n = 1
        for k in range(n):
            ix = int(np.floor((x - n * 10 + 10 + 20 * k) / 20))
            tops[ix] = min(tops.get(ix, 0), y)
    rng = np.random.default_rng(len(name))
    # runs of equal top height -> 2-deep tiles (or a plate and a tile on long runs)
    cols = sorted(tops)
    i = 0
    while i < len(cols):
        j = i
        while (
            j + 1 < len(cols) and cols[j + 1] == cols[j] + 1 and tops[cols[j + 1]] == tops[cols[i]]
        ):
            j += 1
        y = tops[cols[i]]
        run = list(range(cols[i], cols[j] + 1))
        pos = 0
        while pos < len(run):
            w = min(len(run) - pos, int(rng.choice([2, 2, 3, 4])))
            cx = (run[pos] + w / 2) * 20
            part = {1: "3069b", 2: "3068b", 3: "26603", 4: "87079"}[w]
            rot = np.eye(3) if w > 1 else ry(90)
            if w >= 3 and rng.random() < 0.5:  # thicker snow on longer stretches
                m.add(WHITE, {3: "3021", 4: "3020"}[w], (cx, y - PLATE, 0))
                m.add(WHITE, part, (cx, y - 2 * PLATE, 0), rot)
            else:
                m.add(WHITE, part, (cx, y - PLATE, 0), rot)
            pos += w
        i = j + 1
    for fx, fy in frames:  # the sill behind each window frame (frames are on the -Z face)
        m.add(WHITE, "2431", (fx, fy + 6 * 24 - PLATE, 10))
    return m


def main():
    for model in (
        yard(),
        hall(),
        wall_caps(
            "factory_wall.ldr", "factory_wall_snow.ldr", "Snow on the factory wall's top and sills"
        ),
        wall_caps(
            "factory_wall_ruined.ldr",
            "factory_wall_ruined_snow.ldr",
            "Snow on the ruined wall's top and sill",
        ),
    ):
        model.write(str(OUT / model.name))
        print("wrote", model.name, sum(1 for ln in model.lines if ln.startswith("1 ")), "parts")


if __name__ == "__main__":
    main()
