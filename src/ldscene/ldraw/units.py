"""What each length unit is in LDraw units (LDU): the one table scenes and exports share.

1 LDU = 0.4 mm; a stud is 20 LDU apart, a plate 8 LDU high, a brick 24 LDU.  Scene lengths
multiply by these (`scene/units.py`); exports to a unit divide by them (`exchange/mesh.py`).
"""

from __future__ import annotations

#: LDU per unit, by singular name.
LDU_PER_UNIT: dict[str, float] = {
    "ldu": 1.0,
    "stud": 20.0,
    "plate": 8.0,
    "brick": 24.0,
    "mm": 2.5,
    "cm": 25.0,
    "m": 2500.0,
}
