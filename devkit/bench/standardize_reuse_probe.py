"""Time the standardize and validate stages on a first night (no cache), on a second night where one journal grew,
and on a third where nothing changed, each stage in a fresh process (``devkit.bench.stage_probe``).

    python -m devkit.bench.standardize_reuse_probe --customers 20000 --work /tmp/stdreuse --repeats 3

The company is generated once under the work folder; every repeat starts from an empty data folder (no extract,
standardize or validate cache). Before the second night the call log gets ``--appended`` rows copied from its top
(restored afterwards). ``--one-file-a-part`` validates each file as a part of its own, as a scheduler's per-file
tasks and a night of 64 MB or more do (by default the stage groups small files, as ``crm-etl run`` does below
that). Prints one JSON line per night and repeat.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from devkit.generator import generate_sample
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog

NIGHTS = (("first", "2026-11-20"), ("second", "2026-11-21"), ("third", "2026-11-22"))


def night(company: Path, data: Path, run_id: str, as_of: str, *, one_file_a_part: bool) -> dict[str, Any]:
    """Prepare and extract one night in this process, then time its standardize and validate stages in fresh
    ones."""
    run_dir = tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'warehouse.duckdb'}",
        as_of=as_of,
        run_id=run_id,
        data_dir=str(data),
    )
    from devkit.bench.__main__ import probe

    tasks.extract(run_dir)
    out: dict[str, Any] = {"night": run_id, "as_of": as_of}
    for stage in ("standardize", "validate_per_file" if one_file_a_part else "validate"):
        timed = probe(stage, run_dir)
        name = stage.split("_")[0]
        out[name] = {**timed, "files_reused": RunCatalog(run_dir).manifest(name)["files_reused"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--appended", type=int, default=200, help="rows added to the call log before night two")
    parser.add_argument("--one-file-a-part", action="store_true", help="validate each file as a part of its own")
    args = parser.parse_args()
    company = args.work / f"company_{args.customers}"
    if not (company / "sources.yml").exists():
        generate_sample(company, customers=args.customers, seed=args.seed)
    call_log = company / "journals" / "call_log.csv"
    original = call_log.read_bytes()
    lines = original.split(b"\n")
    try:
        for i in range(args.repeats):
            data = args.work / "data"
            shutil.rmtree(data, ignore_errors=True)
            call_log.write_bytes(original)
            for name, as_of in NIGHTS:
                if name == "second":
                    call_log.write_bytes(original + b"\n".join(lines[1 : args.appended + 1]) + b"\n")
                timed = night(company, data, f"{name}_{i}", as_of, one_file_a_part=args.one_file_a_part)
                print(json.dumps({"repeat": i, **timed}), flush=True)
    finally:
        call_log.write_bytes(original)


if __name__ == "__main__":
    main()
