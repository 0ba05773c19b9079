"""Which cluster a command renders on, read from --cluster and the environment.

Kept apart from the executors so that a single render, which decides here that it needs no
farm, does not import them (multiprocessing, the task code: 0.05 s of every start).
"""

from __future__ import annotations

import os

from ldscene.errors import LdsceneError

#: Environment variables naming a cluster when --cluster is not given, in this order.
CLUSTER_ENV = ("LDSCENE_CLUSTER", "RAY_ADDRESS")
#: --cluster values that mean "no cluster: local worker processes".
NO_CLUSTER = ("", "none", "off", "no")
CLUSTER_HINT = "pip install 'ldscene[cluster]'"


def resolve_cluster(option: str | None) -> str | None:
    """The cluster address: --cluster, else $LDSCENE_CLUSTER, else $RAY_ADDRESS; None (or
    `--cluster none`) means local worker processes."""
    value = option
    if value is None:
        for name in CLUSTER_ENV:
            if os.environ.get(name):
                value = os.environ[name]
                break
    if value is None or value.strip().lower() in NO_CLUSTER:
        return None
    return value.strip()


def check_cluster_support() -> None:
    """Fail in one line, before any work, when Ray is not installed."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise LdsceneError("--cluster needs Ray, which is not installed", hint=CLUSTER_HINT)
