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


class ClusterAddress(str):
    """A cluster address, and the environment variable it was read from ("" for --cluster),
    which an error about it names."""

    source: str

    def __new__(cls, value: str, source: str = "") -> ClusterAddress:
        address = super().__new__(cls, value)
        address.source = source
        return address


def resolve_cluster(option: str | None) -> ClusterAddress | None:
    """The cluster address: --cluster, else $LDSCENE_CLUSTER, else $RAY_ADDRESS; None (or
    `--cluster none`) means local worker processes.  An http:// $RAY_ADDRESS is the Ray Jobs
    API's (a dashboard), which no driver connects to: it is not a cluster for ldscene."""
    value, source = option, ""
    if value is None:
        for name in CLUSTER_ENV:
            found = os.environ.get(name, "").strip()
            if name == "RAY_ADDRESS" and found.lower().startswith(("http://", "https://")):
                continue
            if found:
                value, source = found, f"${name}"
                break
    if value is None or value.strip().lower() in NO_CLUSTER:
        return None
    return ClusterAddress(value.strip(), source)


def check_cluster_support() -> None:
    """Fail in one line, before any work, when Ray is not installed."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise LdsceneError("--cluster needs Ray, which is not installed", hint=CLUSTER_HINT)
