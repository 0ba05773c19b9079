"""Minifig stances and `settle: true` on placed entries, against the real LDraw library.

Heights are measured the way `ldscene info --json` reports them: per-entry bounding boxes in
LDraw axes (-y up), so an entry's lowest point is its box's largest y.
"""

from __future__ import annotations

import numpy as np
import pytest

from ldscene.scene import minifig as fig


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("swing", [30, 90, 180, -45])
def test_an_arm_swings_about_its_own_pin(side, swing):
    # The pin is the arm's own x axis through the shoulder: its points stay where they are at
    # rest, so the arm stays in its socket however far it swings.
    rest, posed = fig._rest_arm(side), fig._posed_arm(side, swing)
    pin = np.array([[x, 0.0, 0.0, 1.0] for x in (-6.0, 0.0, 6.0)])
    assert np.allclose(pin @ posed.T, pin @ rest.T, atol=1e-9)
    # The hand keeps its distance from the pin: it turns about it, it does not drift.
    hand_rest = fig.hand_transform(side, 0.0)[:3, 3]
    hand = fig.hand_transform(side, swing)[:3, 3]
    axis = rest[:3, :3] @ [1.0, 0.0, 0.0]
    axis /= np.linalg.norm(axis)
    shoulder = fig.SHOULDER[side]

    def off_axis(p):
        d = p - shoulder
        return np.linalg.norm(d - (d @ axis) * axis), d @ axis

    # (to 0.01 LDU: 973c01.dat's tilt, which the arms copy, is rounded to 0.985 and 0.17)
    assert np.allclose(off_axis(hand), off_axis(hand_rest), atol=0.01)


def test_a_swing_turns_the_hand_forward_and_up():
    hand = fig.hand_transform("right", 90.0)
    assert hand[2, 3] < -15  # in front of the figure (LDraw -z)
    assert -hand[1, 3] > fig.hand_transform("right", 0.0)[1, 3] * -1  # higher than at rest
