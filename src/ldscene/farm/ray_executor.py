"""`RayExecutor`: farm tasks on a Ray cluster (`--cluster ADDRESS`; `pip install
'ldscene[cluster]'`).  Imported only when a cluster is asked for: Ray is an optional extra.

ADDRESS is whatever `ray.init` takes: `HOST:PORT` of a head node started with
`ray start --head`, `ray://HOST:10001` (Ray Client), `auto` (the cluster this machine is part
of) or `local` (a throwaway cluster on this machine, for this run only).

Each model's meshes go to Ray's object store once (`ray.put`); tasks take them by reference,
so a worker reads the arrays straight from its node's shared memory, and a worker that still
has that model open does not read them at all.  A raster task asks Ray for one CPU; a path
task for one GPU when the path engine runs on CUDA (`--device cuda`, or `auto` on a cluster
with GPUs), else for a whole node's CPUs, which Mitsuba uses for one image.

Ray's own retries are off (`max_retries=0`): a task whose worker died comes back lost and
`runner.FarmRun` submits it again, so it can count the retries and never takes an image
twice.  Every node needs ldscene (and its dependencies) installed; none needs the LDraw
library.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import Any

from ldscene.errors import LdsceneError
from ldscene.farm.cluster import CLUSTER_HINT
from ldscene.farm.executor import Done, Executor
from ldscene.farm.tasks import RenderTask, TaskError, run_task, set_gl_threads
from ldscene.render.description import Engine
from ldscene.render.engines import EngineSettings
from ldscene.render.meshes import ModelMeshes
from ldscene.wording import plural

#: Seconds to wait for a TCP connection to the head before saying it is unreachable.
CONNECT_TIMEOUT = 5.0


def _ray_render(payload: list, task: RenderTask):
    """The remote function: one image, in a Ray worker process.  `payload` is a one-element
    list holding the meshes' ObjectRef, so Ray does not fetch them for a worker that has the
    model open already."""
    import ray

    context = ray.get_runtime_context()
    cpus = context.get_assigned_resources().get("CPU", 1.0)
    set_gl_threads(max(1, int(cpus)))
    return run_task(task, lambda: ray.get(payload[0]), node=context.get_node_id())


def import_ray():
    try:
        import ray
    except ImportError:
        raise LdsceneError(
            "--cluster needs Ray, which is not installed", hint=CLUSTER_HINT
        ) from None
    return ray


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0].strip()


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of `HOST:PORT` or `ray://HOST:PORT`; None for `auto` and `local`."""
    if address in ("auto", "local"):
        return None
    rest = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = rest.rstrip("/").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise LdsceneError(
            f"cannot read the cluster address {address!r}",
            hint="use HOST:PORT, ray://HOST:PORT, auto or local",
        )
    return host.strip("[]"), int(port)


#: The HTTP/2 client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS, its
#: client server) answers with a SETTINGS frame of its own.
_HTTP2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def _speaks_grpc(connection: socket.socket) -> bool:
    """Whether the server on `connection` answers as an HTTP/2 (gRPC) server does.  A wrong
    port (a web server's, say) made `ray.init` retry for good, deaf to Ctrl-C and SIGTERM."""
    try:
        connection.sendall(_HTTP2_HELLO)
        answer = b""
        while len(answer) < 9:
            more = connection.recv(9 - len(answer))
            if not more:
                return False
            answer += more
    except OSError:
        return False
    return answer[3] == 4  # the frame type: SETTINGS


def connect(address: str) -> None:
    """`ray.init` for `address`, failing in one line when the cluster cannot be reached."""
    address = str(address)  # a plain str: Ray's Cython refuses a subclass (`ClusterAddress`)
    target = _host_port(address)
    if target is not None:
        try:
            connection = socket.create_connection(target, timeout=CONNECT_TIMEOUT)
        except OSError as err:
            reason = err.strerror or str(err) or type(err).__name__
            raise LdsceneError(
                f"cannot reach the Ray cluster at {address}: {reason.lower()}",
                hint="is `ray start --head` running there? check the host and port",
            ) from None
        with connection:
            if not _speaks_grpc(connection):
                raise LdsceneError(
                    f"{address} does not answer as a Ray cluster does",
                    hint="give the head node's port (`ray start --head --port`, 6379 by "
                    "default), or ray://HOST:PORT for a Ray Client server",
                )
    if address == "local":
        # A cluster for this run only: on the loopback interface, no dashboard, and no
        # warning that Ray turned its token authentication on for it.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(
            logging.ERROR
        )
    ray = import_ray()
    kwargs: dict[str, Any] = {"address": address, "logging_level": logging.WARNING}
    if not address.startswith("ray://"):
        kwargs["log_to_driver"] = False
    if address == "local":
        kwargs["include_dashboard"] = False
    try:
        ray.init(**kwargs)
    except Exception as err:
        hint = None
        if "auth" in str(err).lower():
            hint = "the cluster uses token authentication: set RAY_AUTH_MODE=token and its token"
        elif target is not None and not address.startswith("ray://"):
            hint = (
                "a cluster with token authentication needs RAY_AUTH_MODE=token and its token; "
                "a Ray Client server (port 10001 by default) needs ray://HOST:PORT"
            )
        raise LdsceneError(
            f"cannot connect to the Ray cluster at {address}: {_first_line(err)}", hint=hint
        ) from None


def task_resources(ray, engine: EngineSettings | None) -> dict[str, float]:
    """What one task asks Ray for (see the module docstring)."""
    if engine is None or engine.engine is not Engine.PATH:
        return {"num_cpus": 1}
    from ldscene.render.path.setup import Device

    gpus = ray.cluster_resources().get("GPU", 0)
    device = engine.path.device
    if device is Device.CUDA or (device is Device.AUTO and gpus > 0):
        return {"num_cpus": 1, "num_gpus": 1}
    cpus = [
        node["Resources"].get("CPU", 0)
        for node in ray.nodes()
        if node.get("Alive") and node["Resources"].get("CPU", 0) > 0
    ]
    return {"num_cpus": max(1, int(min(cpus))) if cpus else 1}


class RayExecutor(Executor):
    """Tasks on a Ray cluster.  Connects (and at the end disconnects) unless this process
    is connected already, e.g. by a caller's own `ray.init`."""

    kind = "ray"

    def __init__(self, address: str, engine: EngineSettings | None = None) -> None:
        super().__init__()
        ray = import_ray()
        self.address = address
        self._owns = not ray.is_initialized()
        if self._owns:
            connect(address)
        self._ray = ray
        self._function = ray.remote(_ray_render)
        self._remotes: dict[EngineSettings | None, Any] = {}
        self.resources = self._resources(engine)
        self._payloads: dict[str, Any] = {}
        self._refs: dict[Any, int] = {}

    @property
    def slots(self) -> int:
        total = self._ray.cluster_resources()
        if "num_gpus" in self.resources:
            return max(1, int(total.get("GPU", 1)))
        return max(1, int(total.get("CPU", 1) // self.resources["num_cpus"]))

    def describe(self) -> str:
        nodes = [n for n in self._ray.nodes() if n.get("Alive")]
        total = self._ray.cluster_resources()
        gpus = int(total.get("GPU", 0))
        size = f"{plural(len(nodes), 'node')}, {int(total.get('CPU', 0))} CPUs"
        if gpus:
            size += f", {plural(gpus, 'GPU')}"
        return f"Ray cluster {self.address} ({size})"

    def put(self, key: str, meshes: ModelMeshes) -> None:
        self._payloads[key] = self._ray.put(meshes)

    def drop(self, key: str) -> None:
        self._payloads.pop(key, None)  # the object store frees it with its last reference

    def _resources(self, engine: EngineSettings | None) -> dict[str, float]:
        if engine not in self._remotes:
            resources = task_resources(self._ray, engine)
            self._remotes[engine] = (
                self._function.options(max_retries=0, **resources),
                resources,
            )
        return self._remotes[engine][1]

    def submit(self, task: RenderTask) -> int:
        ticket = self._ticket()
        self._resources(task.engine)
        remote = self._remotes[task.engine][0]
        ref = remote.remote([self._payloads[task.key]], task)
        self._refs[ref] = ticket
        return ticket

    def pending(self) -> int:
        return len(self._refs)

    def wait(self, timeout: float | None = None) -> list[Done]:
        ray = self._ray
        refs = list(self._refs)
        if not refs:
            return []
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        if not ready:
            ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        done = []
        for ref in ready:
            ticket = self._refs.pop(ref)
            try:
                done.append(Done(ticket, ray.get(ref)))
            except ray.exceptions.RayTaskError as err:
                cause = getattr(err, "cause", None)
                message = str(cause) if isinstance(cause, TaskError) else _first_line(err)
                done.append(Done(ticket, error=message))
            except (ray.exceptions.TaskCancelledError, ray.exceptions.RuntimeEnvSetupError) as err:
                done.append(Done(ticket, error=_first_line(err)))
            except ray.exceptions.RayError:  # worker or node died, out of memory, object lost
                done.append(Done(ticket, lost=True))
        return done

    def cancel(self) -> None:
        for ref in list(self._refs):
            with contextlib.suppress(Exception):  # finished meanwhile, or the cluster is gone
                self._ray.cancel(ref, force=True)
        self._refs.clear()

    def close(self) -> None:
        self._refs.clear()
        self._payloads.clear()
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
