"""A first night and the next one after a journal grew, `crm-etl run` end to end each, stage by stage.

Usage: python -m devkit.bench.second_night_probe --customers 100000 [--grow 0.02] [--work-dir data/bench]
       [--nights both|first|second]

What a company's second night costs when most of its files did not change: the generator's company (generated once
per size under the work folder, as the whole-night benchmark does) is run for a first night in an empty data folder,
then its call log gets ``--grow`` of its rows again (copied from its top: new calls of known customers) and the next
day's night runs in the same data folder, with the first night's caches and warehouse. The call log is restored
afterwards. Prints each stage's wall time and peak memory on both nights (``ops.task_run``), their ratio, and
how many files each caching stage reused.

The warehouse as the first night left it is copied to ``warehouse.after_first.duckdb`` beside it: copied back over
``warehouse.duckdb``, a stage of the second night can be run again on its own (``devkit.bench.stage_probe``), as
that night ran it (the link stage, run after the second night was published, would find no earlier night).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

from devkit.bench.night_probe import AS_OF, PROJECT, STAGES, run_night, stage_figures
from transforms.pipeline.catalog import RunCatalog


def grow(path: Path, share: float) -> bytes:
    """Append ``share`` of a CSV file's data rows again (copied from its top); the file's bytes before."""
    original = path.read_bytes()
    newline = b"\r\n" if b"\r\n" in original[:4096] else b"\n"
    lines = original.rstrip(b"\r\n").split(newline)
    count = max(int(share * (len(lines) - 1)), 1)
    path.write_bytes(original.rstrip(b"\r\n") + newline + newline.join(lines[1 : count + 1]) + newline)
    return original


def main(argv: list[str] | None = None) -> None:
    from devkit.bench.__main__ import ensure_sample

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--grow", type=float, default=0.02, help="share of the call log's rows added before night 2")
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "data" / "bench")
    parser.add_argument(
        "--nights",
        choices=("both", "first", "second"),
        default="both",
        help="first: stop after the first night; second: run the second after a first run with --nights first",
    )
    args = parser.parse_args(argv)
    sources = ensure_sample(args.work_dir, args.customers, args.seed)
    data_dir = args.work_dir / f"second_night_{args.customers}"
    first_figures = data_dir / "first_night.json"
    nights = {}
    if args.nights == "second":
        if not first_figures.exists() or RunCatalog.of_run(data_dir, "second").root.exists():
            raise SystemExit(f"{data_dir}: no first night alone to follow (run --nights first)")
        nights["first"] = json.loads(first_figures.read_text())
    else:
        nights["first"] = run_night(sources, data_dir, as_of=AS_OF, run_id="first")
        shutil.copyfile(data_dir / "warehouse.duckdb", data_dir / "warehouse.after_first.duckdb")
        first_figures.write_text(json.dumps(nights["first"]))
        if args.nights == "first":
            print(json.dumps({"first": nights["first"]}))
            return
    call_log = sources.parent / "journals" / "call_log.csv"
    original = grow(call_log, args.grow)
    try:
        later = (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)).isoformat()
        nights["second"] = run_night(sources, data_dir, as_of=later, run_id="second", fresh=False)
    finally:
        call_log.write_bytes(original)
    warehouse = data_dir / "warehouse.duckdb"
    figures = {night: stage_figures(warehouse, night) for night in nights}
    reused = {}
    second = RunCatalog.of_run(data_dir, "second")
    for stage in ("extract", "standardize", "validate"):
        manifest = second.manifest(stage)
        if stage == "extract":
            reused[stage] = sum(bool(f.get("reused")) for f in manifest["files"])
        else:
            reused[stage] = int(manifest.get("files_reused") or 0)
    print("| stage | first night | second night | second / first |")
    print("| --- | ---: | ---: | ---: |")
    for stage in STAGES:
        one, two = figures["first"].get(stage), figures["second"].get(stage)
        if one and two:
            cells = f"{one[0]:.1f} s, {one[1]:,.0f} MB | {two[0]:.1f} s, {two[1]:,.0f} MB"
            print(f"| {stage} | {cells} | {two[0] / one[0]:.2f} |")
    one_n, two_n = nights["first"], nights["second"]
    print(
        f"| whole night | {one_n['night']:.1f} s, {one_n['night_peak']:,.0f} MB | "
        f"{two_n['night']:.1f} s, {two_n['night_peak']:,.0f} MB | {two_n['night'] / one_n['night']:.2f} |"
    )
    print(json.dumps({"files_reused_on_night_2": reused, "nights": nights, "stages": figures}, default=str))


if __name__ == "__main__":
    main()
