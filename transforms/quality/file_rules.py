"""Rules judged once per file: is the file fresh enough, and did it lose rows since the last published night?

Rows of these rules have row number 0 and field ``*`` in ``dq.failure`` (the whole file is at fault), and
count one checked file (failed 0 or 1) in ``dq.metric``. For the gate, ``row_count_drop`` counts rows:
checked = the file's rows on the last published night, failed = how many fewer it has tonight, so its
tolerance is a share of rows like every other rule's.

A file that vanished from a glob (``journals/*.csv``) is judged with its source: exports that rotate their
file names every night are normal, so a vanished file counts as dropped only when the source as a whole
lost more than the tolerated share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.quality.columns import METRIC_COUNTS, METRIC_KEY
from transforms.quality.gate import FILE_COLUMNS
from transforms.quality.rules import explain
from transforms.quality.settings import QualitySettings
from transforms.settings.sources import SourcesFile

FileKey = tuple[str, str]  # (source_name, source_file)


@dataclass(frozen=True)
class FileRuleResult:
    """Failures, metrics and per-file counts of the file-level rules (shaped like the suites' ones)."""

    failures: pd.DataFrame
    metrics: pd.DataFrame
    per_file: pd.DataFrame


def file_path(sources: SourcesFile, source_name: str, source_file: str) -> Path:
    """Where a file named in a reconciliation line is on disk (relative names are relative to the sources file)."""
    p = Path(source_file)
    if p.is_absolute():
        return p
    try:
        base = sources.source(source_name).base_dir
    except KeyError:
        base = None
    return Path(base or Path(sources.path).parent) / p


def file_responsible(sources: SourcesFile, source_name: str) -> str:
    """Who answers for a whole file: the source's named employee, else the sources file's default."""
    try:
        spec = sources.source(source_name)
    except KeyError:
        return sources.defaults.responsible
    if spec.responsible is not None and spec.responsible.employee:
        return spec.responsible.employee
    return sources.defaults.responsible


def file_age_days(path: Path, as_of: dt.date) -> int | None:
    """Days between the file's last modification (UTC date) and the as-of date; None if it cannot be read."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return (as_of - dt.datetime.fromtimestamp(mtime, dt.UTC).date()).days


def _freshness(
    files: Sequence[Mapping[str, Any]], sources: SourcesFile, settings: QualitySettings, as_of: dt.date
) -> list[dict[str, Any]]:
    out = []
    for f in files:
        if f["status"] != "ok":
            continue
        limit = settings.freshness.limit(f["source_name"])
        if limit is None:
            continue
        age = file_age_days(file_path(sources, f["source_name"], f["source_file"]), as_of)
        if age is None:
            continue
        stale = age > limit
        out.append(
            {
                "rule": "source_freshness",
                "source_name": f["source_name"],
                "source_file": f["source_file"],
                "checked": 1,
                "failed": int(stale),
                "gate_checked": 1,
                "gate_failed": int(stale),
                "value": f"last changed {age} days before {as_of.isoformat()}, limit {limit} days",
            }
        )
    return out


def _row_drops(
    files: Sequence[Mapping[str, Any]], previous: Mapping[FileKey, int], settings: QualitySettings
) -> list[dict[str, Any]]:
    if not previous:
        return []
    # A file that is missing or unreadable tonight is not a drop in rows: the publish step stops the night
    # for it when its source is required, and publishes without it when it is not (sources.yml `required`).
    unread = {f["source_name"] for f in files if f["status"] != "ok"}
    tonight: dict[FileKey, int] = {
        (f["source_name"], f["source_file"]): int(f.get("rows_extracted") or 0) for f in files if f["status"] == "ok"
    }
    declared = {f["source_name"] for f in files}
    source_now: dict[str, int] = {}
    source_before: dict[str, int] = {}
    for (name, _), n in tonight.items():
        source_now[name] = source_now.get(name, 0) + n
    for (name, _), n in previous.items():
        source_before[name] = source_before.get(name, 0) + n
    tolerance = settings.rule("row_count_drop").tolerance
    out = []
    for (name, file), before in sorted(previous.items()):
        if name not in declared or before <= 0 or name in unread:
            continue  # the source was removed from the sources file on purpose, or its file could not be read
        if (name, file) in tonight:
            now = tonight[(name, file)]
        else:
            lost = source_before[name] - source_now.get(name, 0)
            if lost <= tolerance * source_before[name]:
                continue  # a rotated file name: the source as a whole kept its rows
            now = 0
        dropped = max(before - now, 0)
        failed = dropped > tolerance * before
        out.append(
            {
                "rule": "row_count_drop",
                "source_name": name,
                "source_file": file,
                "checked": 1,
                "failed": int(failed),
                "gate_checked": before,
                "gate_failed": dropped,
                "value": f"{before} rows on the last published night, {now} tonight",
            }
        )
    return out


def file_rule_results(
    files: Sequence[Mapping[str, Any]],
    *,
    sources: SourcesFile,
    settings: QualitySettings,
    as_of: dt.date,
    run_id: str,
    previous: Mapping[FileKey, int],
) -> FileRuleResult:
    """Freshness of every read file and its row count against the last published night.

    ``files`` are the extract manifest's file lines; ``previous`` the rows loaded per file on the last
    published night (empty on a first night).
    """
    lines = _freshness(files, sources, settings, as_of) + _row_drops(files, previous, settings)
    frame = pd.DataFrame(
        lines,
        columns=[
            "rule",
            "source_name",
            "source_file",
            "checked",
            "failed",
            "gate_checked",
            "gate_failed",
            "value",
        ],
    )
    frame["responsible"] = [file_responsible(sources, n) for n in frame["source_name"]]
    frame["severity"] = [settings.rule(r).severity for r in frame["rule"]]
    frame["field"] = "*"
    frame["as_of"] = as_of
    frame["run_id"] = run_id
    bad = frame[frame["failed"] > 0]
    failures = pd.DataFrame(
        {
            "source_name": bad["source_name"],
            "source_file": bad["source_file"],
            "sheet": "",
            "row_number": 0,
            "record_id": None,
            "field": "*",
            "rule": bad["rule"],
            "severity": bad["severity"],
            "value": bad["value"],
            "message": [explain(r, "*") for r in bad["rule"]],
            "responsible": bad["responsible"],
            "as_of": as_of,
            "run_id": run_id,
        }
    ).astype({"row_number": "int64"})
    metrics = frame[[*METRIC_KEY, *METRIC_COUNTS]].copy()
    metrics = metrics.groupby(METRIC_KEY, as_index=False).sum()
    metrics["completeness"] = 1 - metrics["failed"] / metrics["checked"].clip(lower=1)
    metrics["as_of"] = as_of
    metrics["run_id"] = run_id
    per_file = pd.DataFrame(
        {
            "rule": frame["rule"],
            "severity": frame["severity"],
            "tolerance": [settings.rule(r).tolerance for r in frame["rule"]],
            "min_rows": [settings.min_rows(r) if r == "row_count_drop" else 0 for r in frame["rule"]],
            "source_name": frame["source_name"],
            "source_file": frame["source_file"],
            "fields": "*",
            "checked": frame["gate_checked"].astype("int64"),
            "failed": frame["gate_failed"].astype("int64"),
        }
    )
    return FileRuleResult(failures.reset_index(drop=True), metrics, per_file[FILE_COLUMNS])
