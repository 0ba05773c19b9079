"""Scene axes (y up) to LDraw axes (-y up), rotations and 4x4 transforms: no library."""

from __future__ import annotations

import numpy as np
import pytest

from ldscene.scene import transforms as tf

pytestmark = pytest.mark.unit


def test_the_axis_flip_is_its_own_inverse() -> None:
    point = np.array([1.0, 2.0, 3.0])
    assert tf.to_ldraw_point(point).tolist() == [1.0, -2.0, -3.0]
    assert tf.to_scene_point(tf.to_ldraw_point(point)).tolist() == point.tolist()


@pytest.mark.parametrize("turn", [tf.rot_x, tf.rot_y, tf.rot_z])
def test_quarter_turns_are_exact(turn) -> None:
    for degrees in (0, 90, 180, 270, -90, 360):
        values = set(np.unique(turn(degrees)).tolist())
        assert values <= {-1.0, 0.0, 1.0}, (turn.__name__, degrees)
    assert not np.signbit(turn(90)[turn(90) == 0]).any()  # no -0.0 in exports


def test_rotations_turn_the_right_way() -> None:
    x, y, z = np.eye(3)
    assert np.allclose(tf.rot_y(90) @ x, -z)
    assert np.allclose(tf.rot_x(90) @ y, z)
    assert np.allclose(tf.rot_z(90) @ x, y)


def test_euler_angles_apply_x_then_y_then_z() -> None:
    expected = tf.rot_z(30) @ tf.rot_y(40) @ tf.rot_x(50)
    assert np.array_equal(tf.euler_scene(50, 40, 30), expected)
    assert not np.allclose(tf.euler_scene(50, 40, 30), tf.rot_x(50) @ tf.rot_y(40) @ tf.rot_z(30))


def test_a_scene_placement_lands_where_ldraw_expects() -> None:
    # 1 up and a quarter turn about up in the scene: LDraw's y points down, z flips.
    transform = tf.scene_transform([0.0, 24.0, 0.0], tf.rot_y(90))
    assert transform[:3, 3].tolist() == [0.0, -24.0, 0.0]
    corner = tf.apply(transform, np.array([[10.0, 0.0, 0.0]]))
    scene_corner = tf.to_scene_point(corner)
    assert np.allclose(scene_corner, tf.rot_y(90) @ [10.0, 0.0, 0.0] + [0, 24, 0])
    assert np.array_equal(tf.ldraw_rotation(tf.ldraw_rotation(tf.rot_x(33))), tf.rot_x(33))


def test_matrix_fills_only_what_it_is_given() -> None:
    assert np.array_equal(tf.matrix(), np.eye(4))
    moved = tf.matrix(translation=[1, 2, 3])
    assert moved[:3, :3].tolist() == np.eye(3).tolist() and moved[:3, 3].tolist() == [1, 2, 3]
    assert moved[3].tolist() == [0, 0, 0, 1]
