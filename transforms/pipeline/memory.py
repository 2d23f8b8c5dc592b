"""Measure a task's wall time and peak memory for ops.task_run and the benchmarks."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    """What a measured block cost."""

    seconds: float = 0.0
    peak_rss_mb: float = 0.0


@contextmanager
def measure(interval: float = 0.05) -> Iterator[Measurement]:
    """Sample the process's resident memory in a background thread while the block runs."""
    proc = psutil.Process()
    result = Measurement(peak_rss_mb=proc.memory_info().rss / 2**20)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result.peak_rss_mb = max(result.peak_rss_mb, proc.memory_info().rss / 2**20)
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result.seconds = time.perf_counter() - start
        result.peak_rss_mb = max(result.peak_rss_mb, proc.memory_info().rss / 2**20)


def release_memory() -> None:
    """Hand back to the system what a finished stage freed, so the next stage of the same process (``crm-etl run``
    runs the whole night in one) starts from what is still in use rather than from the last stage's high-water
    mark: a cycle collection, Arrow's pool's unused blocks, and the C allocator's free pages (glibc's
    ``malloc_trim``; elsewhere nothing)."""
    gc.collect()
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc:
        with contextlib.suppress(OSError, AttributeError):  # AttributeError: a C library other than glibc
            ctypes.CDLL(libc).malloc_trim(0)
