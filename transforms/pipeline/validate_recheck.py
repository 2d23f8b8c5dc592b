"""A reused validation brought to tonight's as-of date: the date rules checked again where they may have moved.

The checks give an unchanged row the same verdict every night, but for the two rules that compare a date with the
as-of (``transforms.quality.as_of_window``). So when tonight reuses the verdicts another night gave the same rows
(``validate_cache``), the rows whose verdict under those rules may differ between the two dates are checked
again, as of that night and as of tonight, and the kept results are corrected by the difference: their failures
for those rules replaced, the metrics and per-file counts moved by tonight's counts minus that night's. Every
other count stays as kept: a rule that ignores the date judges the rows the same on both runs, so it adds nothing
to the difference. A day's difference is the rows of one day at each end of the window: a few, where checking
every row again costs the whole file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lineage import ROW_LOCATION
from transforms.pipeline.catalog import RunCatalog, write_parquet
from transforms.pipeline.staged_rows import FILE_KEY, read_staged, rows_of
from transforms.quality.as_of_window import AS_OF_COLUMNS, AS_OF_RULES, date_rule_rows
from transforms.quality.frames import frames_for_run
from transforms.quality.settings import QualitySettings
from transforms.settings.sources import SourcesFile
from transforms.standardize.sentinels import SentinelRegistry

if TYPE_CHECKING:  # the runner imports Great Expectations, which a task that only reuses need not load
    from transforms.quality.tally import QualityResult

log = logging.getLogger(__name__)

#: What names a failing row: where it is and its record.
ROW_KEY = [*ROW_LOCATION, "record_id"]


@dataclass(frozen=True)
class Checking:
    """What the suites are built from: the sources file, the quality settings and the sentinel markers."""

    sources: SourcesFile
    settings: QualitySettings
    sentinels: SentinelRegistry


def recheck_dates(
    run: RunCatalog,
    checking: Checking,
    *,
    files: set[tuple[str, str]] | None,
    parts: Sequence[str],
    then: dt.date,
    tonight: dt.date,
    run_id: str,
    records: pd.Series | None = None,
) -> int:
    """Correct the reused ``parts`` (validated as of ``then``, restored as tonight's) for tonight's date rules;
    the rows checked again. ``files``: the group's (source name, file) pairs, None for every file of the night;
    ``records``: the record ids the parts checked, when they are a piece of a file (None: every row of ``files``)."""
    if then == tonight or not parts:
        return 0
    dates = read_staged(run.root, files=files, tables=["contact"], columns=[*AS_OF_COLUMNS, *FILE_KEY, "record_id"])
    contacts = dates["contact"]
    if records is not None and len(contacts):
        contacts = contacts[contacts["record_id"].isin(records).to_numpy()].reset_index(drop=True)
    if not len(contacts):
        return 0
    moved = date_rule_rows(contacts, checking.settings, then, tonight)
    if not moved.any():
        return 0
    ids = contacts.loc[moved.to_numpy(), "record_id"].unique()
    rows, issues = (_staged(run, table, ids, files) for table in ("contact", "field_issue"))
    staged = {"contact": rows, "field_issue": issues}
    before, after = (_check(staged, checking, day, run_id) for day in (then, tonight))
    _correct(run, parts, rows[ROW_KEY], before, after, then=then, tonight=tonight, run_id=run_id)
    log.info("validate: %d rows checked again for the date rules (%s to %s)", len(rows), then, tonight)
    return len(rows)


def _staged(run: RunCatalog, table: str, ids: Sequence[str], files: set[tuple[str, str]] | None) -> pd.DataFrame:
    """The staged rows of these records (of these files), every column: filtered while the file is scanned, so a
    file of millions of rows is never read whole for the few hundred checked again."""
    path = run.written(f"standardize.{table}")
    if path is None:
        return pd.DataFrame(columns=[*FILE_KEY, "record_id"])
    where = [("record_id", "in", list(ids))]
    if files is not None:
        where.append(("source_file", "in", sorted({f for _, f in files})))
    frame = pq.read_table(path, filters=where).to_pandas()
    return frame if files is None else rows_of(frame, files)


def _check(staged: dict[str, pd.DataFrame], checking: Checking, as_of: dt.date, run_id: str) -> QualityResult:
    """The date rules' results on these rows as of ``as_of``, evaluated directly (a few rows: Great Expectations'
    set-up would cost more than the checks)."""
    from transforms.quality.tally import check_directly

    frames = frames_for_run(
        staged, settings=checking.settings, sentinels=checking.sentinels, sources=checking.sources, as_of=as_of
    )
    return check_directly(frames, settings=checking.settings, as_of=as_of, run_id=run_id, rules=AS_OF_RULES)


def _negated(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts taken away: a night's counts of the rows checked again, with their sign turned."""
    out = frame.copy()
    if len(out):
        out[["checked", "failed"]] = -out[["checked", "failed"]]
    return out


def _correct(
    run: RunCatalog,
    parts: Sequence[str],
    checked: pd.DataFrame,
    before: QualityResult,
    after: QualityResult,
    *,
    then: dt.date,
    tonight: dt.date,
    run_id: str,
) -> None:
    """Replace the date rules' failures of the rows checked again, in every part; move the first part's metrics,
    per-file counts and suite summaries by tonight's results minus that night's (the stage sums the parts).
    ``before`` and ``after`` hold the date rules' results only (``_check`` evaluates nothing else)."""
    from transforms.quality.tally import merge_metrics, merge_per_file, sort_failures

    again = pd.MultiIndex.from_frame(checked.astype(str))
    for i, part in enumerate(parts):
        failures = _read(run, part, "failure")
        gone = failures["rule"].isin(AS_OF_RULES) & pd.MultiIndex.from_frame(failures[ROW_KEY].astype(str)).isin(again)
        failures = failures[~gone.to_numpy()]
        if i == 0:
            failures = sort_failures(pd.concat([f for f in (failures, after.failures) if len(f)] or [failures]))
            metrics = merge_metrics(
                [_read(run, part, "metric"), after.metrics, _negated(before.metrics)],
                as_of=tonight,
                run_id=run_id,
            )
            counts = [_read(run, part, "per_file"), after.per_file, _negated(before.per_file)]
            per_file = merge_per_file(counts, failures)
            _write(run, part, "metric", metrics)
            _write(run, part, "per_file", per_file)
            manifest = run.read_json("validate.part_manifest", part=part)
            for name, summary in manifest["suites"].items():
                moved = after.suites.get(name, {}).get("failures", 0) - before.suites.get(name, {}).get("failures", 0)
                summary["failures"] = int(summary["failures"]) + int(moved)
            manifest["dates_checked_again"] = {"since": then.isoformat(), "rows": len(checked)}
            run.write_json("validate.part_manifest", manifest, part=part)
        _write(run, part, "failure", failures)


def _read(run: RunCatalog, part: str, table: str) -> pd.DataFrame:
    frame: pd.DataFrame = pq.read_table(run.path("validate.part_table", part=part, table=table)).to_pandas()
    return frame


def _write(run: RunCatalog, part: str, table: str, frame: pd.DataFrame) -> None:
    """Write a part's table as the stage writes it (its types from the frame: a kept table without rows may have
    columns of no type, which tonight's rows would not fit)."""
    path = run.path("validate.part_table", part=part, table=table)
    write_parquet(pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False), path)
