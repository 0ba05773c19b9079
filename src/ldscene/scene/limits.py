"""How many instances a scene may make, checked before they are made.

`count:`, `repeat:` and nested groups multiply: three nested repeats of 1,000 ask for 10^9
placed parts, which would exhaust memory long before anything failed.  The composer counts
what each placement and scatter would add first and stops with one line when the total passes
`max_instances()` (read once, in `ldraw/limits.py`, for model loads and scenes alike): by default
far above any real scene (the Stalingrad scene has about 2,800 instances), raised by the
`LDSCENE_MAX_INSTANCES` environment variable.
"""

from __future__ import annotations

from ldscene.ldraw.limits import INSTANCES_ENV as ENV
from ldscene.ldraw.limits import max_instances

__all__ = ["ENV", "max_instances", "over_limit"]


def over_limit(count: int, what: str) -> tuple[str, str] | None:
    """(message, hint) when a scene would hold `count` instances after `what`, else None."""
    limit = max_instances()
    if count <= limit:
        return None
    if count >= 10**12:  # no machine holds that many: no point in offering the setting
        size = f"{count:,}" if count < 10**15 else f"about 10^{len(str(count)) - 1}"
        return (f"{what} would bring the scene to {size} instances", "lower its count or repeat")
    return (
        f"{what} would bring the scene to {count:,} instances, over the limit of {limit:,}",
        f"lower its count or repeat, or raise the limit: {ENV}={count}",
    )
