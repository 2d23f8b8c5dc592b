"""Run one stage of a prepared run in this process and print its time and peak memory as JSON
(``validate_per_file``: the validate stage file by file, as a scheduler runs it).

Each measured stage runs in a fresh process so its peak resident memory is its own, not the
high-water mark of everything that ran before it.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(stage: str, run_dir: str) -> None:
    """Time ``stage`` on ``run_dir``."""
    from transforms.pipeline import tasks

    def validate_per_file(run_dir: str) -> None:
        """The validate stage as a scheduler runs it: each file's task, then the combination."""
        for key in tasks.night_files(run_dir):
            tasks.validate_file(run_dir, key)
        tasks.combine_validate(run_dir)

    fn = validate_per_file if stage == "validate_per_file" else getattr(tasks, stage)
    start = time.perf_counter()
    fn(run_dir)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stage": stage, "seconds": seconds, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
