"""Limits an image and a camera keep wherever they are given: on the command line (`--width`,
`--fov`), in a scene file's `render:` and `cameras:`, or to the viewer."""

#: The widest or tallest image, in pixels (supersampling included): GL renderbuffers above
#: this are not portable.
MAX_SIDE = 16384
#: A perspective camera's vertical field of view, degrees.
MIN_FOV, MAX_FOV = 1.0, 170.0
#: The largest supersampling factor per axis (`--aa`).
MAX_AA = 8
