"""The driver loop every farm command shares: put a model, submit its tasks, handle results.

    with open_executor(cluster, jobs) as executor:
        run = FarmRun(executor)
        for model in models:                     # loaded and meshed here, one at a time
            run.add(FarmJob(key, portable_meshes(meshes), tasks, on_result, on_error))
        run.finish()

`add` returns as soon as the job's tasks are submitted, so the next model loads while the
workers render; it waits first when too many models are in flight (memory stays bounded
however long the batch).  A lost task (its worker died) is submitted again, up to
`MAX_ATTEMPTS` tries in all; each result reaches its job's `on_result` exactly once.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from ldscene.farm.executor import Done, Executor
from ldscene.farm.tasks import RenderTask, TaskOutput
from ldscene.render.meshes import ModelMeshes
from ldscene.wording import plural

#: Tries per task when workers die under it (the first one included).
MAX_ATTEMPTS = 4


@dataclass
class FarmStats:
    """What a run did, for the command's summary line and the benchmarks."""

    tasks: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0  # submissions again after a worker died
    nodes: set[str] = field(default_factory=set)
    workers: set[tuple[str, int]] = field(default_factory=set)  # (node, pid)
    task_seconds: float = 0.0  # time inside the workers, summed
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0

    def where_text(self) -> str:
        """'8 tasks run by 2 workers on 1 node'."""
        w, n = len(self.workers), len(self.nodes)
        return f"{plural(self.tasks, 'task')} run by {plural(w, 'worker')} on {plural(n, 'node')}"

    def summary(self) -> str:
        """', 1 task retried after its worker died' and the like (empty when nothing to say)."""
        parts = []
        if self.retried:
            parts.append(f"{plural(self.retried, 'task')} retried after a worker died")
        return "".join(", " + part for part in parts)


@dataclass
class FarmJob:
    """One model's tasks, with what to do with each result."""

    key: str
    meshes: ModelMeshes  # portable_meshes(...) of the model
    tasks: list[RenderTask]
    on_result: Callable[[RenderTask, TaskOutput], None]
    on_error: Callable[[RenderTask, str], None]
    remaining: int = 0


class FarmRun:
    """Drives `executor` through any number of `FarmJob`s (see the module docstring)."""

    def __init__(
        self,
        executor: Executor,
        on_task_done: Callable[[], None] | None = None,
        max_jobs_in_flight: int | None = None,
    ) -> None:
        self.executor = executor
        self.stats = FarmStats()
        self.on_task_done = on_task_done
        self.max_jobs = max_jobs_in_flight or 2 * executor.slots + 1
        self._tickets: dict[int, tuple[FarmJob, RenderTask, int]] = {}
        self._jobs: list[FarmJob] = []

    def add(self, job: FarmJob) -> None:
        while len(self._jobs) >= self.max_jobs:
            self._collect(None)
        if not job.tasks:
            return
        # A key of its own: workers keep a model open by key, from one run to the next.
        job.key = f"{job.key}#{uuid.uuid4().hex[:16]}"
        job.tasks = [dataclasses.replace(task, key=job.key) for task in job.tasks]
        self.executor.put(job.key, job.meshes)
        job.remaining = len(job.tasks)
        self._jobs.append(job)
        for task in job.tasks:
            self._submit(job, task, 1)
        self.stats.tasks += len(job.tasks)
        self._collect(0)

    def finish(self) -> FarmStats:
        while self._tickets:
            self._collect(None)
        self.stats.seconds = time.perf_counter() - self.stats.started
        return self.stats

    def _submit(self, job: FarmJob, task: RenderTask, attempt: int) -> None:
        self._tickets[self.executor.submit(task)] = (job, task, attempt)

    def _collect(self, timeout: float | None) -> None:
        if not self._tickets:
            return
        for done in self.executor.wait(timeout):
            self._handle(done)

    def _handle(self, done: Done) -> None:
        job, task, attempt = self._tickets.pop(done.ticket)
        if done.lost and attempt < MAX_ATTEMPTS:
            self.stats.retried += 1
            self._submit(job, task, attempt + 1)
            return
        if done.output is not None:
            out = done.output
            self.stats.succeeded += 1
            self.stats.nodes.add(out.node)
            self.stats.workers.add((out.node, out.pid))
            self.stats.task_seconds += out.seconds
            job.on_result(task, out)
        else:
            self.stats.failed += 1
            reason = done.error or f"its worker died {MAX_ATTEMPTS} times"
            job.on_error(task, reason)
        job.remaining -= 1
        if job.remaining == 0:
            self._jobs.remove(job)
            self.executor.drop(job.key)
        if self.on_task_done is not None:
            self.on_task_done()
