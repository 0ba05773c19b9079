"""Executors: where farm tasks run.  One interface, three implementations.

    executor.put(key, meshes)        make a model's meshes available to the workers
    ticket = executor.submit(task)   start a task (a `RenderTask` naming a key)
    executor.wait(timeout)           finished tasks, as `Done` (output, error, or lost)
    executor.drop(key)               the model's tasks are done: free its meshes
    executor.cancel()                stop everything (Ctrl-C)

`InlineExecutor` runs tasks in this process, one per `wait`; `LocalExecutor` in local worker
processes (the default for more than one image); `RayExecutor` on a Ray cluster
(`ray_executor.py`, imported only when a cluster is asked for).  A task is *lost* when its
worker died (killed, out of memory, node gone): `runner.FarmRun` submits it again.  A task
that *failed* (bad input, a renderer error) is not retried.
"""

from __future__ import annotations

import abc
import contextlib
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ldscene.errors import LdsceneError
from ldscene.farm.cluster import check_cluster_support
from ldscene.farm.tasks import RenderTask, TaskError, TaskOutput, run_task, set_gl_threads
from ldscene.render.description import Engine
from ldscene.render.meshes import ModelMeshes


@dataclass
class Done:
    """A finished task: its output, or why it has none."""

    ticket: int
    output: TaskOutput | None = None
    error: str | None = None  # failed: a one-line reason; a retry would fail again
    lost: bool = False  # its worker died before it finished: worth another try


class Executor(abc.ABC):
    """Runs `RenderTask`s somewhere; see the module docstring for the protocol."""

    #: "inline", "local" or "ray"
    kind: str = ""
    #: how `describe()` follows a verb: "rendered ... on 2 local worker processes"
    preposition: str = "on"

    def __init__(self) -> None:
        self._next_ticket = 0

    def _ticket(self) -> int:
        self._next_ticket += 1
        return self._next_ticket

    @property
    @abc.abstractmethod
    def slots(self) -> int:
        """How many tasks run at the same time."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where tasks run, in words ("2 local worker processes")."""

    @abc.abstractmethod
    def put(self, key: str, meshes: ModelMeshes) -> None: ...

    @abc.abstractmethod
    def drop(self, key: str) -> None: ...

    @abc.abstractmethod
    def submit(self, task: RenderTask) -> int: ...

    @abc.abstractmethod
    def wait(self, timeout: float | None = None) -> list[Done]:
        """Finished tasks: at least one unless `timeout` (seconds) passes or none is pending."""

    @abc.abstractmethod
    def pending(self) -> int: ...

    @abc.abstractmethod
    def cancel(self) -> None:
        """Stop every pending task (after Ctrl-C); no output of theirs is delivered."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the workers and whatever `put` stored."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self.pending():
            with contextlib.suppress(Exception):
                self.cancel()
        self.close()


# ----------------------------------------------------------------------------- in-process
class InlineExecutor(Executor):
    """Renders in this process, one task per `wait` call: one worker, no start-up cost."""

    kind = "inline"
    preposition = "in"

    def __init__(self) -> None:
        super().__init__()
        self._meshes: dict[str, ModelMeshes] = {}
        self._queue: list[tuple[int, RenderTask]] = []

    @property
    def slots(self) -> int:
        return 1

    def describe(self) -> str:
        return "this process"

    def put(self, key: str, meshes: ModelMeshes) -> None:
        self._meshes[key] = meshes

    def drop(self, key: str) -> None:
        self._meshes.pop(key, None)

    def submit(self, task: RenderTask) -> int:
        ticket = self._ticket()
        self._queue.append((ticket, task))
        return ticket

    def pending(self) -> int:
        return len(self._queue)

    def wait(self, timeout: float | None = None) -> list[Done]:
        if not self._queue:
            return []
        ticket, task = self._queue.pop(0)
        try:
            return [Done(ticket, run_task(task, lambda: self._meshes[task.key]))]
        except TaskError as err:
            return [Done(ticket, error=str(err))]

    def cancel(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        from ldscene.farm.tasks import close_worker_renderer

        self._queue.clear()
        self._meshes.clear()
        close_worker_renderer()


# ----------------------------------------------------------------------------- local processes
_LOCAL: dict = {}


def _local_init(threads: int | None) -> None:
    # Ctrl-C reaches the whole process group: the driver cancels, workers stay quiet; the
    # driver stops them with SIGTERM, which ends a worker outright (not the driver's handler).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent()
    set_gl_threads(threads)


#: Linux's prctl option that sends the calling process a signal when its parent ends.
_PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    """A worker ends when the process that started it does, however that ends: a driver
    killed outright (SIGKILL, the OOM killer) left its workers waiting on their queues for
    good, holding memory.  (Linux; elsewhere the pool's own shutdown is all there is.)"""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the request was made
        os._exit(1)


def _local_noop(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _local_load(path: str) -> ModelMeshes:
    """A model's meshes from the file the driver wrote, kept for the next task."""
    if _LOCAL.get("path") != path:
        _LOCAL.clear()
        with open(path, "rb") as handle:
            _LOCAL["meshes"] = pickle.load(handle)
        _LOCAL["path"] = path
    return _LOCAL["meshes"]


def _local_run(task: RenderTask, path: str) -> TaskOutput:
    return run_task(task, lambda: _local_load(path))


#: The start of a payload folder's name; the driver's process id follows.
PAYLOAD_PREFIX = "ldscene-farm-"


def _payload_folder() -> Path:
    """Shared memory when there is some (/dev/shm): the files never touch a disk.  Named
    after this process, so that one left behind says whose it was."""
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    _remove_orphaned_payloads(Path(base or tempfile.gettempdir()))
    return Path(tempfile.mkdtemp(prefix=f"{PAYLOAD_PREFIX}{os.getpid()}-", dir=base))


def _remove_orphaned_payloads(base: Path) -> None:
    """Remove the payload folders of drivers that are gone: one killed outright (SIGKILL, the
    out-of-memory killer) cannot remove its own, and they piled up in shared memory (14
    folders, 641 MB).  Only this user's, and only where no process has that id."""
    try:
        entries = list(base.glob(f"{PAYLOAD_PREFIX}*-*"))
    except OSError:
        return
    for folder in entries:
        pid = folder.name[len(PAYLOAD_PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive (another user's process has that id), or unreadable
            continue


def _start_method() -> str:
    """fork is cheapest, and safe while this process runs one thread and holds no GL or
    Mitsuba state; otherwise a fork server (a clean process that forks the workers)."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    busy = any(name in sys.modules for name in ("OpenGL", "drjit", "mitsuba"))
    if busy or threading.active_count() > 1:
        return "forkserver"
    return "fork"


class LocalExecutor(Executor):
    """Worker processes on this machine.  Each model's meshes are pickled once to a file in
    shared memory; a worker loads them at its first task for that model and keeps them.

    A worker that dies breaks Python's process pool: every task then in flight comes back
    lost, and the next `submit` starts a fresh pool (so the run still completes).
    """

    kind = "local"

    def __init__(self, workers: int, threads: int | None = None) -> None:
        super().__init__()
        if workers < 1:
            raise LdsceneError(f"--jobs must be 1 or more, not {workers}")
        self.workers = workers
        self.threads = threads if threads else max(1, (os.cpu_count() or 1) // workers)
        self._folder = _payload_folder()
        # Removed by close(); failing that, when this object goes or the interpreter exits.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, True)
        self._files: dict[str, Path] = {}
        self._stored = 0
        self._futures: dict[Future, tuple[int, ProcessPoolExecutor]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._start_pool()

    @property
    def slots(self) -> int:
        return self.workers

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"

    def _start_pool(self) -> None:
        method = _start_method()
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_local_init,
            initargs=(self.threads,),
        )
        # Start every worker now, while this process is as clean as it will be (a pool that
        # does not fork starts them on demand: busy ones make it start the next).
        for future in [self._pool.submit(_local_noop, 0.05) for _ in range(self.workers)]:
            future.result()

    def put(self, key: str, meshes: ModelMeshes) -> None:
        self._stored += 1
        path = self._folder / f"{self._stored}.pickle"
        with open(path, "wb") as handle:
            pickle.dump(meshes, handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._files[key] = path

    def drop(self, key: str) -> None:
        path = self._files.pop(key, None)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def submit(self, task: RenderTask) -> int:
        ticket = self._ticket()
        for _ in range(2):
            if self._pool is None:
                self._start_pool()
            assert self._pool is not None
            try:
                future = self._pool.submit(_local_run, task, str(self._files[task.key]))
                break
            except BrokenProcessPool:  # a worker died while idle: start a fresh pool
                self._discard_pool()
        else:
            raise LdsceneError("local worker processes keep dying; see the messages above")
        self._futures[future] = (ticket, self._pool)
        return ticket

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers (for diagnostics and tests)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return sorted(processes)

    def pending(self) -> int:
        return len(self._futures)

    def wait(self, timeout: float | None = None) -> list[Done]:
        if not self._futures:
            return []
        finished, _ = wait_futures(list(self._futures), timeout, return_when=FIRST_COMPLETED)
        done = []
        for future in finished:
            ticket, pool = self._futures.pop(future)
            try:
                done.append(Done(ticket, future.result()))
            except TaskError as err:
                done.append(Done(ticket, error=str(err)))
            except BrokenProcessPool:
                if pool is self._pool:  # not one started since to replace it
                    self._discard_pool()
                done.append(Done(ticket, lost=True))
            except Exception as err:  # e.g. an output that cannot be pickled back
                done.append(Done(ticket, error=f"{type(err).__name__}: {err}"))
        return done

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _terminate(self) -> None:
        """Stop the workers now (a path-traced frame can take minutes to finish)."""
        pool = self._pool
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)  # shutdown forgets it
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(5)
        if manager is not None:
            _release_manager_thread(manager)
        self._pool = None

    def cancel(self) -> None:
        self._futures.clear()
        self._terminate()

    def close(self) -> None:
        if self._pool is not None:
            if self._futures:
                self.cancel()
            else:
                self._pool.shutdown(wait=True)
                self._pool = None
        self._cleanup()


def _release_manager_thread(thread: threading.Thread) -> None:
    """Let the manager `thread` of a pool whose workers were killed end, and take it off
    the interpreter's exit list (CPython's `concurrent.futures.process`).

    A worker killed while it sent a result leaves half a message in the result pipe, which
    the thread then waited on for ever (a Ctrl-C'd turntable said 'interrupted' and hung at
    exit, one run in eight); closing this process's end of the pipe ends that wait.  The
    exit also wakes every pool's thread through a pipe an ended thread has closed ('OSError:
    Bad file descriptor' printed after 'interrupted')."""
    from concurrent.futures import process as futures_process

    with contextlib.suppress(Exception):
        thread.result_queue._writer.close()  # type: ignore[attr-defined]
    thread.join(5)
    if not thread.is_alive():
        futures_process._threads_wakeups.pop(thread, None)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- choosing
def default_workers(tasks: int | None = None) -> int:
    """One local worker per core (at most 8), no more than there are tasks."""
    workers = max(1, min(os.cpu_count() or 1, 8))
    return max(1, min(workers, tasks)) if tasks else workers


@contextlib.contextmanager
def open_executor(
    cluster: str | None = None,
    jobs: int | None = None,
    tasks: int | None = None,
    engine=None,
) -> Iterator[Executor]:
    """The executor for a command: a Ray cluster when `cluster` names one, else `jobs` local
    worker processes (default one per core; one for the path engine, which uses every core
    for each image), or this process when one worker is enough."""
    if cluster is not None:
        check_cluster_support()
        from ldscene.farm.ray_executor import RayExecutor

        try:
            executor: Executor = RayExecutor(cluster, engine=engine)
        except LdsceneError as err:
            source = getattr(cluster, "source", "")
            if not source:
                raise
            raise LdsceneError(
                f"{err.message} (the address comes from {source})",
                path=err.path,
                hint=f"fix or unset {source}, or give --cluster none to render here",
            ) from None
    else:
        if jobs is not None and jobs < 1:
            raise LdsceneError(f"--jobs must be 1 or more, not {jobs}")
        path_engine = engine is not None and engine.engine is Engine.PATH
        workers = (1 if path_engine else default_workers(tasks)) if jobs is None else jobs
        if tasks is not None:
            workers = max(1, min(workers, tasks))
        executor = InlineExecutor() if workers == 1 else LocalExecutor(workers)
    with executor:
        yield executor
