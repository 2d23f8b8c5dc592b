"""How many cores this process may use, for the steps that spread their work over threads or processes."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may be scheduled on (its affinity mask where the system has one). A CPU quota set by
    a container is not seen here: the steps that use this take a count that overrides it."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1
