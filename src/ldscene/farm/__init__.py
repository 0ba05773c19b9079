"""Render farms: images as independent tasks, run by an executor here or on a Ray cluster.

Every command that renders more than one image (`render` on several inputs or views,
`turntable`, `post`) describes its work the same way: the driver (this process) loads and
meshes each model once, makes its instanced meshes available to the workers under a key
(`Executor.put`), and submits one `RenderTask` per image — a view of that model, with the
options and the engine to draw it.  Workers need no LDraw library and no disk cache: they
open a renderer on the meshes they are handed and return the image (encoded, or as an RGBA
array for turntable frames); only the driver writes files, atomically.

Executors (`executor.py`): `InlineExecutor` renders in this process, one task at a time;
`LocalExecutor` runs local worker processes (the default); `RayExecutor` (`ray_executor.py`,
imported only for `--cluster`) runs tasks on a Ray cluster with the meshes in Ray's object
store.  `runner.FarmRun` is the driver loop shared by all of them: bounded work in flight,
a task whose worker died resubmitted (up to `MAX_ATTEMPTS` times), every result handled once.
`batch.py` is `ldscene render A B DIR/ -o OUTDIR/`; `cluster.py` reads which cluster, if any,
a command renders on (a single render reads only that module of this package).
"""
