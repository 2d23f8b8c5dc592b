"""Keep DuckDB's module teardown quiet at process exit.

When Great Expectations and the DuckDB SQLAlchemy driver live in one process, Python finalizes DuckDB's
native module before the module-level DuckDB type constants, and DuckDB's binding layer (nanobind) then
prints dozens of "leaked instance" lines on stderr. Nothing leaks in fact (the process is ending), but an
operator reading a task log cannot know that. Releasing DuckDB's Python modules first, at exit, lets them
be finalized in order.
"""

from __future__ import annotations

import atexit
import functools
import gc
import sys


def _release_duckdb_modules() -> None:
    for name in sorted((n for n in sys.modules if "duckdb" in n), key=len, reverse=True):
        module = sys.modules.pop(name, None)
        if module is not None and name != "_duckdb":
            module.__dict__.clear()
    gc.collect()


@functools.cache
def quiet_duckdb_teardown() -> None:
    """Register the exit hook once per process (it runs after the handlers registered later)."""
    atexit.register(_release_duckdb_modules)
