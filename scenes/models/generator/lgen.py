"""Tiny LDraw model-writing helpers (generator for the STZ diorama models)."""

import os

import numpy as np

I3 = np.eye(3)


def rx(d):
    c, s = np.cos(np.radians(d)), np.sin(np.radians(d))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def ry(d):
    c, s = np.cos(np.radians(d)), np.sin(np.radians(d))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rz(d):
    c, s = np.cos(np.radians(d)), np.sin(np.radians(d))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def fmt(v):
    v = float(v)
    if abs(v - round(v)) < 1e-6:
        return str(int(round(v)))
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# plate/brick/tile catalogues: (short, long) studs -> part, long axis along X at identity
PLATES = {
    (1, 1): "3024",
    (1, 2): "3023",
    (1, 3): "3623",
    (1, 4): "3710",
    (1, 6): "3666",
    (1, 8): "3460",
    (1, 10): "4477",
    (1, 12): "60479",
    (2, 2): "3022",
    (2, 3): "3021",
    (2, 4): "3020",
    (2, 6): "3795",
    (2, 8): "3034",
    (2, 10): "3832",
    (2, 12): "2445",
    (2, 16): "4282",
    (4, 4): "3031",
    (4, 6): "3032",
    (4, 8): "3035",
    (4, 10): "3030",
    (4, 12): "3029",
    (6, 6): "3958",
    (6, 8): "3036",
    (6, 10): "3033",
    (6, 12): "3028",
    (6, 14): "3456",
    (6, 16): "3027",
    (6, 24): "3026",
    (8, 8): "41539",
    (8, 16): "92438",
}
BRICKS = {
    (1, 1): "3005",
    (1, 2): "3004",
    (1, 3): "3622",
    (1, 4): "3010",
    (1, 6): "3009",
    (1, 8): "3008",
    (1, 10): "6111",
    (1, 12): "6112",
    (1, 16): "2465",
    (2, 2): "3003",
    (2, 3): "3002",
    (2, 4): "3001",
    (2, 6): "2456",
    (2, 8): "3007",
    (2, 10): "3006",
}
TILES = {
    (1, 1): "3070b",
    (1, 2): "3069b",
    (1, 4): "2431",
    (1, 6): "6636",
    (1, 8): "4162",
    (2, 2): "3068b",
    (2, 3): "26603",
    (2, 4): "87079",
    (2, 6): "69729",
}


class Model:
    def __init__(self, title, name):
        self.title, self.name = title, name
        self.lines = []

    def add(self, col, part, pos, R=I3):
        R = np.asarray(R, float)
        if not part.lower().endswith((".dat", ".ldr")):
            part = part + ".dat"
        p = [fmt(x) for x in pos]
        m = [fmt(x) for x in R.reshape(-1)]
        self.lines.append(f"1 {col} {' '.join(p)} {' '.join(m)} {part}")

    def comment(self, text):
        self.lines.append(f"0 // {text}")

    def step(self):
        self.lines.append("0 STEP")

    def sub(self, col, name, pos, R=I3):
        self.add(col, name, pos, R)

    def text(self):
        head = [
            f"0 {self.title}",
            f"0 Name: {self.name}",
            "0 Author: ldscene",
            "0 !LICENSE Licensed under CC BY 4.0 : see CAreadme.txt",
            "",
        ]
        return "\r\n".join(head + self.lines) + "\r\n"

    def write(self, path):
        import os

        tmp = path + ".tmp"
        with open(tmp, "w", newline="") as f:
            f.write(self.text())
        os.replace(tmp, path)


def tile_rect(w, d, cat):
    """Greedy split of a w (x) by d (z) stud rectangle into catalogue pieces.

    Returns (x0, z0, sx, sz, part) in stud units, (x0,z0) the min corner."""
    out = []

    def rec(x0, z0, w, d):
        if w <= 0 or d <= 0:
            return
        best = None
        for (a, b), p in cat.items():
            for sx, sz in ((a, b), (b, a)):
                if sx <= w and sz <= d:
                    area = sx * sz
                    if best is None or area > best[0]:
                        best = (area, sx, sz, p)
        _, sx, sz, p = best
        out.append((x0, z0, sx, sz, p))
        # split remaining: right strip full length, then top strip
        if w - sx >= d - sz:
            rec(x0 + sx, z0, w - sx, d)
            rec(x0, z0 + sz, sx, d - sz)
        else:
            rec(x0, z0 + sz, w, d - sz)
            rec(x0 + sx, z0, w - sx, sz)

    rec(0, 0, w, d)
    return out


def fill(m, col, x0, z0, w, d, y, cat=PLATES, R=I3, origin=(0, 0, 0)):
    """Fill a w x d stud rectangle whose min corner is (x0, z0) LDU, at part-origin height y.

    R/origin: optional frame to place the whole layer (for tilted plates)."""
    R = np.asarray(R, float)
    o = np.asarray(origin, float)
    for i, j, sx, sz, p in tile_rect(w, d, cat):
        cx = x0 + (i + sx / 2) * 20
        cz = z0 + (j + sz / 2) * 20
        a, b = sorted((sx, sz))
        rot = I3 if sx >= sz else ry(90)
        pos = R @ np.array([cx, y, cz]) + o
        m.add(col, p, pos, R @ rot)


def compose(dst, src, pos=(0, 0, 0), R=I3, recolour=None):
    """Copy src's part lines into dst transformed by (R, pos)."""
    R = np.asarray(R, float)
    pos = np.asarray(pos, float)
    for ln in src.lines:
        t = ln.split()
        if not t or t[0] != "1":
            dst.lines.append(ln)
            continue
        col = t[1]
        p = np.array([float(v) for v in t[2:5]])
        M = np.array([float(v) for v in t[5:14]]).reshape(3, 3)
        name = " ".join(t[14:])
        dst.add(col, name, R @ p + pos, R @ M)


def write_part(path, title, name, comments, lines):
    """Write one of our own parts: the LDraw header, `0 //` comments, body lines, CRLF, atomic."""
    head = [
        f"0 {title}",
        f"0 Name: {name}",
        "0 Author: ldscene",
        "0 !LDRAW_ORG Unofficial_Part",
        "0 !LICENSE Licensed under CC BY 4.0 : see CAreadme.txt",
        "",
        "0 BFC CERTIFY CCW",
        "",
        *(f"0 // {c}" for c in comments),
        "",
    ]
    tmp = str(path) + ".tmp"
    with open(tmp, "w", newline="") as fh:
        fh.write("\r\n".join(head + list(lines)) + "\r\n")
    os.replace(tmp, path)
