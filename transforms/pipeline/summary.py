"""The few lines an operator reads after a run: per file, rows read, loaded and quarantined; where things are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from transforms.pipeline.catalog import RunCatalog


def format_summary(summary: dict[str, Any]) -> str:
    """Render a published run's summary.json as a plain-text table."""
    files = summary["files"]
    width = max([len("file")] + [len(_label(f)) for f in files])
    lines = [
        f"Run {summary['run_id']} (as of {summary['as_of']}): {summary['status']}",
        "",
        f"{'file'.ljust(width)}  {'read':>8}  {'loaded':>8}  {'quarantined':>11}  status",
    ]
    for f in files:
        status = f["status"] if f["status"] != "ok" else ("ok (unchanged)" if f.get("is_reused") else "ok")
        counts = f"{f['rows_read']:>8}  {f['rows_loaded']:>8}  {f['rows_quarantined']:>11}"
        lines.append(f"{_label(f).ljust(width)}  {counts}  {status}")
    c = summary["counts"]
    lines.append(f"{'total'.ljust(width)}  {c['rows_read']:>8}  {c['rows_loaded']:>8}  {c['rows_quarantined']:>11}")
    if c.get("files_extract_reused") or c.get("files_standardize_reused") or c.get("files_validate_reused"):
        lines.append(
            f"Unchanged files:  {c.get('files_extract_reused', 0)} not read again, "
            f"{c.get('files_standardize_reused', 0)} not standardized again (their rows reused from the cache), "
            f"{c.get('files_validate_reused', 0)} not checked again (their verdicts reused)"
        )
    errors = [f for f in files if f.get("error")]
    if errors:
        lines += ["", "Files that could not be read:"] + [f"  - {f['error']}" for f in errors]
    if summary.get("notes"):
        lines += ["", "Notes:"] + [f"  - {n}" for n in summary["notes"]]
    quality = summary.get("quality") or {}
    by_rule = {k: v for k, v in (quality.get("failures_by_rule") or {}).items() if v}
    golden = int(quality.get("golden_record_failures") or 0)
    if by_rule or golden:
        top = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items(), key=lambda kv: -kv[1]))
        lines += [
            "",
            f"Data quality: {sum(by_rule.values())} failing values on source rows ({top or 'none'}); "
            f"{golden} on golden records (one rule failing on one field, as the control report counts them)",
        ]
    lines += [
        "",
        f"Warehouse:        {summary['warehouse']}",
        f"Staged files:     {summary['run_dir']}",
        "Quarantined rows: table staging.quarantine (reason per row); field problems: staging.field_issue",
        "Failing values:   table dq.failure (file, sheet, row, field, rule, employee); per rule: dq.metric",
        "Reconciliation:   table ops.reconciliation; runs: ops.run, ops.task_run (crm-etl status)",
    ]
    if quality.get("data_docs"):
        lines.append(
            f"Data Docs:        {quality['data_docs']} (for engineers; needs the internet for its styles: "
            "read the control report instead)"
        )
    lines += _stage_lines(summary.get("stages") or {}, summary.get("report") or {})
    return "\n".join(lines)


def _stage_lines(stages: dict[str, Any], report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    link = stages.get("link")
    if link:
        lines += [
            "",
            f"Customers:        {link['records']} records linked into {link['customers']} customers "
            "(core.customer, core.customer_source_record)",
            f"To review:        {link['review_pairs']} doubtful pairs in {link['review_workbook']}",
            "                  (mark match / not a match, then: crm-etl review import <file>)",
            f"Linkage model:    {link['diagnostics']}",
        ]
        if link.get("night"):
            lines.append(f"Linkage night:    {link['night']} ({link['night_reason']})")
    classes = ((stages.get("receivables") or {}).get("counts") or {}).get("customers_by_class") or {}
    if classes:
        text = ", ".join(f"{k} {v}" for k, v in sorted(classes.items(), key=lambda kv: -kv[1]))
        lines.append(f"Reliability:      {text} (marts.customer_reliability)")
    segs = (stages.get("segments") or {}).get("segments") or {}
    if segs:
        lines.append(
            f"Segments:         {len(segs)} (marts.customer_segment, marts.segment_profile): "
            + "; ".join(f"{k} {v}" for k, v in segs.items())
        )
    if report.get("report"):
        todo = report.get("todo") or []
        lines.append(f"Control report:   {report['report']}")
        if todo:
            folder = str(Path(todo[0]["workbook"]).parent)
            lines.append(f"To-do lists:      {len(todo)} employees' lists and reminders in {folder}")
    return lines


def _label(f: dict[str, Any]) -> str:
    return f"{f['source_file']} ({f['source_name']})"


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """A run's published summary."""
    run = RunCatalog(run_dir)
    path = run.path("publish.summary")
    if not path.exists():
        raise FileNotFoundError(f"{path}: this run has not published (see crm-etl status for why)")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if run.has_manifest("report"):
        data["report"] = run.manifest("report")
    return data
