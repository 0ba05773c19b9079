"""Generate the T-34/76 models (hull, turret, complete, unfinished)."""

from pathlib import Path

import numpy as np
from lgen import BRICKS, I3, PLATES, TILES, Model, compose, fill, rx, ry
from scipy.spatial import ConvexHull

G = 288  # dark green
TRK = 0  # track links
TYRE = 0
OUT = str(Path(__file__).resolve().parents[1])

TRACK_X = 67
WHEEL_Y = -39
WHEEL_Z = [-108, -54, 0, 54, 108]
IDLER = (-158, -46)
SPROCKET = (158, -46)
R_WHEEL = 31  # hinge-line radius around road wheels (tyre r26 + 5)
R_SMALL = 23
DECK = -112  # top of the upper-hull brick layer
TURRET_MOUNT = (0, DECK, -20)


def frame(z, n):
    """Rotation whose local +Z is z and local -Y (stud up) is the outward normal n."""
    z = np.asarray(z, float) / np.linalg.norm(z)
    y = -np.asarray(n, float) / np.linalg.norm(n)
    x = np.cross(y, z)
    return np.column_stack([x, y, z])


def track_path():
    pts = []
    circles = [(z, WHEEL_Y, R_WHEEL) for z in WHEEL_Z] + [
        (IDLER[0], IDLER[1], R_SMALL),
        (SPROCKET[0], SPROCKET[1], R_SMALL),
    ]
    for cz, cy, r in circles:
        a = np.linspace(0, 2 * np.pi, 720, endpoint=False)
        pts.append(np.column_stack([cz + r * np.cos(a), cy + r * np.sin(a)]))
    pts = np.concatenate(pts)
    hull = ConvexHull(pts)
    poly = pts[hull.vertices]  # counter-clockwise in (z, y)
    return poly


def link_positions(pitch=16.0):
    poly = track_path()
    seg = np.roll(poly, -1, axis=0) - poly
    L = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0], np.cumsum(L)])
    total = cum[-1]
    n = int(round(total / pitch))
    s = np.arange(n) * total / n
    idx = np.searchsorted(cum, s, side="right") - 1
    t = (s - cum[idx]) / L[idx]
    p = poly[idx] + seg[idx] * t[:, None]
    return p, total, n


def add_track(m, side, col=TRK, skip=()):
    p, total, n = link_positions()
    centre = p.mean(axis=0)
    x = side * TRACK_X
    for i in range(len(p)):
        if i in skip:
            continue
        a, b = p[i], p[(i + 1) % len(p)]
        t = np.array([0, b[1] - a[1], b[0] - a[0]])
        mid = (a + b) / 2 - centre
        nrm = np.array([0, -t[2], t[1]])  # perpendicular in (y,z)
        if nrm[1] * mid[1] + nrm[2] * mid[0] < 0:
            nrm = -nrm
        R = frame(t, nrm)
        m.add(col, "3873", (x, a[1], a[0]), R)


def add_wheels(m, side, missing=()):
    rot = ry(90) if side > 0 else ry(-90)
    x = side * TRACK_X
    for i, z in enumerate(WHEEL_Z):
        if i in missing:
            continue
        m.add(G, "11208", (x, WHEEL_Y, z), rot)
        m.add(TYRE, "11209", (x, WHEEL_Y, z), rot)
    # front idler: bare steel rim, rear drive sprocket: toothed
    m.add(G, "11208", (x, IDLER[1], IDLER[0]), rot)
    m.add(72, "3648b", (x - side * 4, SPROCKET[1], SPROCKET[0]), rot)  # 24T gear = sprocket teeth
    m.add(G, "11208", (x + side * 4, SPROCKET[1], SPROCKET[0]), rot)


def hull(unfinished=False, engine_open=False):
    m = Model(
        "T-34/76 Hull" + (" (unfinished)" if unfinished else ""),
        "t34_hull_unfinished.ldr" if unfinished else "t34_hull.ldr",
    )
    # the engine bay under the engine hatch: x -20..20, z 60..140, one brick deep
    bay = (-20, 60, 2, 4)
    primer = 72 if unfinished else G
    m.comment("running gear")
    bare = 1  # the unfinished hull's bare side: its left (+X), the side the diorama shows
    for side in (1, -1):
        if unfinished and side == bare:
            add_wheels(m, side, missing=(3,))
        else:
            add_wheels(m, side)
        if not (unfinished and side == bare):
            add_track(m, side)
    m.step()
    m.comment("lower hull between the tracks")
    fill(m, G, -40, -120, 4, 14, -32, PLATES)
    fill(m, G, -40, -120, 4, 14, -56, BRICKS)
    fill(m, G, -40, -120, 4, 14, -80, BRICKS)
    # rear wall of the lower hull
    fill(m, G, -40, 160, 4, 1, -56, BRICKS)
    fill(m, G, -40, 160, 4, 1, -80, BRICKS)
    m.comment("fender / sponson floor")
    fill(m, G, -100, -150, 10, 15, -88, PLATES)
    for side in (1, -1):
        x0 = 40 if side > 0 else -100
        fill(m, G, x0, -190, 3, 2, -88, TILES)  # thin front mudguards
        fill(m, G, x0, 150, 3, 2, -88, TILES)  # rear mudguards
    m.step()
    m.comment("upper hull: core bricks, sloped sponson sides")
    core = [(-60, -100, 6, 2), (-60, -60, 1, 4), (40, -60, 1, 4), (-60, 20, 6, 6)]
    if engine_open:  # leave the engine bay open: bricks around it only
        core[-1:] = [(-60, 20, 6, 2), (-60, 60, 2, 4), (20, 60, 2, 4)]
    for x0, z0, w, n_ in core:
        fill(m, G, x0, z0, w, n_, DECK, BRICKS)
    for z in (-80, 0, 80):
        m.add(G, "3037", (-70, DECK, z + 20), ry(90))
        m.add(G, "3037", (70, DECK, z + 20), ry(-90))
    # tiles on the sloped sides' top rows, with grab handles for tank riders
    for xs in (-80, 60):
        side = 1 if xs > 0 else -1
        for z0, n in ((-100, 2), (-20, 2), (60, 4)):
            fill(m, G, xs, z0, 1, n, DECK - 8, TILES)
        for zc in (-40, 40):
            if unfinished:
                fill(m, G, xs, zc - 20, 1, 2, DECK - 8, TILES)
            else:
                m.add(G, "2540", (xs + 10, DECK - 8, zc), ry(-90 * side))
    m.step()
    m.comment("glacis plate, 60 deg from vertical")
    ang = np.radians(28)
    zdir = np.array([0, np.sin(ang), -np.cos(ang)])
    nrm = np.array([0, -np.cos(ang), -np.sin(ang)])
    R = frame(zdir, nrm)
    o = np.array([0, DECK, -100])
    fill(m, G, -100, 0, 10, 3, 0, PLATES, R, o)
    # tiles over the glacis, leaving the driver's hatch and MG mount
    for x0, z0, w, n_ in [(-100, 0, 10, 1), (-100, 20, 2, 2), (-20, 20, 2, 2), (60, 20, 2, 2)]:
        fill(m, primer if unfinished and x0 > 0 else G, x0, z0, w, n_, -8, TILES, R, o)
    # driver's hatch (vehicle left = +X) and hull DT MG ball mount (right = -X)
    m.add(G, "3022", R @ np.array([-40, -8, 40]) + o, R)
    m.add(G, "3068b", R @ np.array([-40, -16, 40]) + o, R)
    m.add(G, "54200", R @ np.array([-30, -16, 30]) + o, R @ ry(180))
    m.add(G, "54200", R @ np.array([-50, -16, 30]) + o, R @ ry(180))
    m.add(G, "4032a", R @ np.array([40, -8, 40]) + o, R)
    m.add(0, "87994", R @ np.array([40, -14, 40]) + o + np.array([0, 0, -10]), rx(90))
    # spare track links on the lower glacis
    # lower nose between tracks
    a = np.array([0, 60.0, 33.0])
    Rn = frame(a, np.array([0, 33.0, -60.0]))
    fill(m, G, -40, 0, 4, 3, 0, PLATES, Rn, np.array([0, -84, -153]))
    fill(m, G, -40, 0, 4, 3, -8, TILES, Rn, np.array([0, -84, -153]))
    m.step()
    m.comment("deck: turret ring, tiles, engine grilles")
    # replace deck bricks under the ring: the turntable sits flush in the deck layer
    m.add(71 if unfinished else G, "3403c01", (0, DECK, -20))
    deck_tiles = [
        (-60, -100, 6, 2),
        (-60, -60, 1, 4),
        (40, -60, 1, 4),
        (-60, 20, 6, 2),
        (-20, 60, 2, 4),
    ]
    for x0, z0, w, n_ in deck_tiles:
        if (unfinished or engine_open) and (x0, z0) == bay[:2]:
            continue  # engine hatch not fitted yet, or standing open
        fill(m, G, x0, z0, w, n_, DECK - 8, TILES)
    for xs in (-60, -40, 20, 40):
        for z in range(60, 140, 40):
            if unfinished and xs > 0:
                continue
            m.add(G if not unfinished else primer, "2412b", (xs + 10, DECK - 8, z + 20), ry(90))
    if engine_open:
        engine_bay(m)
    m.step()
    m.comment("rear plate with exhausts and transmission hatch")
    ang = np.radians(34)
    zr = np.array([0, np.sin(ang), np.cos(ang)])
    nr = np.array([0, -np.cos(ang), np.sin(ang)])
    Rr = frame(zr, nr)
    orr = np.array([0, DECK, 140])
    fill(m, G, -100, 0, 10, 2, 0, PLATES, Rr, orr)
    m.add(G, "4150", Rr @ np.array([0, -8, 20]) + orr, Rr)
    for x in (-50, 50):
        m.add(0, "6141", Rr @ np.array([x, -8, 10]) + orr, Rr)
        m.add(0, "6141", Rr @ np.array([x, -16, 10]) + orr, Rr)
    for x0, z0, w, n_ in [
        (-100, 0, 2, 2),
        (-60, 20, 1, 1),
        (-40, 0, 1, 2),
        (20, 0, 1, 2),
        (40, 20, 1, 1),
        (60, 0, 2, 2),
    ]:
        fill(m, G, x0, z0, w, n_, -8, TILES, Rr, orr)
    fill(m, G, -40, 160, 4, 1, -88, PLATES)
    m.step()
    if not unfinished:
        m.comment("details: headlight, antenna, grab handles, fuel tanks")
        # headlight on the upper left of the glacis
        m.add(G, "6141", R @ np.array([-80, -16, 10]) + o, R)
        m.add(47, "98138", R @ np.array([-80, -24, 10]) + o, R)
        # spare track links hung on the sloped sponsons (width along the hull, pitch down-slope)
        for side in (1, -1):
            n = np.array([side, -1.0, 0]) / np.sqrt(2)
            t = np.array([side, 1.0, 0]) / np.sqrt(2)
            R2 = frame(t, n)
            p0 = np.array([side * 80, DECK, 0]) + t * 5 + n * 5
            for z in (84, 128):
                m.add(TRK, "3873", p0 + np.array([0, 0, z]), R2)
    return m


def engine_bay(m):
    """The V-2 diesel in its open bay (on the sponson floor plate, top at -88) and the engine
    hatch (the deck's 2 x 4 tile) standing open on its front hinge."""
    m.comment("open engine bay: V-2 diesel, hatch raised on its front hinge")
    m.add(72, "3020", (0, -96, 100), ry(90))  # crankcase
    for x in (-10, 10):  # the two cylinder banks: heads and valve covers
        m.add(0, "3710", (x, -104, 100), ry(90))
        m.add(72, "2431", (x, -112, 100), ry(90))
    m.add(0, "4073", (0, -104, 70))  # air cleaner, fuel pump
    m.add(72, "3062b", (0, -104, 130))
    # the hatch: the 2 x 4 tile turned up about its front edge (z = 60, behind the turret),
    # 100 degrees open, so the bay can be seen from behind the tank
    hinge = np.array([0.0, DECK - 8, 60.0])
    m.add(G, "87079", hinge + rx(100) @ np.array([0, 0, 40.0]), rx(100) @ ry(90))


def _under_ring(ln):
    t = ln.split()
    if len(t) < 15 or t[0] != "1":
        return False
    x, y, z = (float(v) for v in t[2:5])
    return (
        abs(y - DECK) < 1e-6
        and abs(x) < 40
        and -80 < z < 0
        and t[14]
        in (
            "3001.dat",
            "3003.dat",
            "3002.dat",
            "3007.dat",
            "2456.dat",
            "3006.dat",
            "3004.dat",
            "3005.dat",
            "3010.dat",
            "3009.dat",
            "3008.dat",
        )
    )


def turret():
    """Hexagonal cast turret; origin = centre of the turret ring at its base (sits on the hull
    turntable); gun along -Z; 6 wide x 8 long (+1 stud mantlet, +4.8 studs of barrel)."""
    m = Model("T-34/76 Turret (cast hexagonal, 76 mm F-34)", "t34_turret.ldr")
    m.add(72, "60474", (0, -8, 0))  # turret ring
    corners = [((30, -50), I3), ((-30, -50), ry(90)), ((30, 50), ry(-90)), ((-30, 50), ry(180))]
    for (cx, cz), rot in corners:
        m.add(G, "30505", (cx, -32, cz), rot)
    fill(m, G, -60, -20, 6, 2, -32, BRICKS)
    m.step()
    m.comment("bevelled roof edge: 1x1 cheese slopes on the outer studs, inset top layer")
    ytop = -32
    for side in (1, -1):
        for z in (-10, 10):
            m.add(G, "54200", (side * 50, ytop, z), ry(-90 * side))
        for zs in (1, -1):
            for x, z in ((50, 30), (30, 50), (10, 70)):
                # low side towards the diagonal (side*x, zs*z) outward
                if x == 10:
                    m.add(G, "98138", (side * x, ytop - 8, zs * z))
                    continue
                d = np.array([side, 0, zs], float) / np.sqrt(2)
                th = np.degrees(np.arctan2(-d[0], -d[2]))
                m.add(G, "54200", (side * x, ytop, zs * z), ry(th))
    fill(m, G, -40, -40, 4, 4, ytop - 8, PLATES)
    fill(m, G, -20, -60, 2, 1, ytop - 8, PLATES)
    fill(m, G, -20, 40, 2, 1, ytop - 8, PLATES)
    m.step()
    m.comment("cast round mantlet and 76 mm F-34 gun")
    m.add(G, "3941", (0, -22, -80), rx(-90))
    m.add(G, "63965a", (0, -22, -96), rx(90))
    m.step()
    m.comment("roof: tiles, two round hatches, periscopes")
    ty = ytop - 16
    fill(m, G, -40, -40, 4, 2, ty, TILES)
    fill(m, G, -20, 40, 2, 1, ty, TILES)
    for x in (-20, 20):
        m.add(G, "4032a", (x, ty, 20))
        m.add(G, "4150", (x, ty - 8, 20))
    for x in (-10, 10):
        m.add(G, "54200", (x, ytop - 8, -50), ry(180))
    return m


def write_all():
    h = hull()
    t = turret()
    t.write(f"{OUT}/t34_turret.ldr")
    full = Model("T-34/76 Medium Tank (1942, Stalingrad Tractor Factory)", "t34_76.ldr")
    compose(full, h)
    full.step()
    compose(full, t, TURRET_MOUNT)
    full.write(f"{OUT}/t34_76.ldr")
    op = Model("T-34/76 Medium Tank, engine hatch open", "t34_76_engine_open.ldr")
    compose(op, hull(engine_open=True))
    op.step()
    compose(op, t, TURRET_MOUNT)
    op.write(f"{OUT}/t34_76_engine_open.ldr")
    hu = hull(unfinished=True)
    hu.write(f"{OUT}/t34_hull_unfinished.ldr")
    p, total, n = link_positions()
    print("track links per side", n, "perimeter", round(total, 1))


if __name__ == "__main__":
    write_all()
