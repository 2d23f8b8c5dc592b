"""The publishing gate: a critical rule failing on more of a file's rows than its tolerance stops the run.

The message is for the operator who is woken by the failed night: it names the rule, the field, the file,
the counts, and the settings file (and key) where the tolerance lives, so they can judge whether the data
or the tolerance is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Columns of the per-file counts the gate judges (``per_file.parquet``).
FILE_COLUMNS = [
    "rule",
    "severity",
    "tolerance",
    "min_rows",
    "source_name",
    "source_file",
    "fields",
    "checked",
    "failed",
]


class QualityGateError(RuntimeError):
    """Raised after the stage has written its files, when a critical rule exceeds its tolerance."""

    def __init__(self, violations: list[GateViolation], settings_file: str = "") -> None:
        self.violations = violations
        self.settings_file = settings_file
        lines = [v.describe() for v in violations]
        where = f"\nTolerances are set in {settings_file} (rules.<rule>.tolerance)." if settings_file else ""
        super().__init__(
            f"data-quality gate: {len(violations)} critical rule(s) over tolerance, not publishing "
            "(the warehouse keeps the previous night):\n  - " + "\n  - ".join(lines) + where
        )


@dataclass(frozen=True)
class GateViolation:
    """One critical rule over its tolerance in one file."""

    rule: str
    source_name: str
    source_file: str
    failed: int
    checked: int
    tolerance: float
    fields: str = ""

    @property
    def share(self) -> float:
        """Share of the file's checked rows that failed."""
        return self.failed / self.checked if self.checked else 0.0

    def describe(self) -> str:
        """The violation in one line."""
        where = f"{self.rule}: {self.source_file} ({self.source_name}):"
        key = f"rules.{self.rule}.tolerance"
        if self.rule == "row_count_drop":
            return (
                f"{where} {self.failed} of the {self.checked} rows of the last published night are gone "
                f"({self.share:.1%}), tolerance {self.tolerance:.1%} ({key})"
            )
        if self.rule == "source_freshness":
            return f"{where} the file is older than its freshness limit (freshness in the settings file)"
        on = f" on {self.fields}" if self.fields else ""
        return (
            f"{where} {self.failed} of {self.checked} rows ({self.share:.1%}) fail{on}, "
            f"tolerance {self.tolerance:.1%} ({key})"
        )


def gate_violations(rows: pd.DataFrame) -> list[GateViolation]:
    """Violations from per-file rule counts (``FILE_COLUMNS``: distinct rows of the file checked by and
    failing the rule). A share-based tolerance (above 0) applies only from ``min_rows`` checked rows on."""
    out: list[GateViolation] = []
    if rows.empty:
        return out
    crit = rows[(rows["severity"] == "critical") & (rows["failed"] > 0)]
    for r in crit.to_dict("records"):
        checked, failed, tolerance = int(r["checked"]), int(r["failed"]), float(r["tolerance"])
        min_rows = int(r.get("min_rows") or 0)
        if tolerance > 0 and checked < min_rows:
            continue
        if checked and failed / checked > tolerance:
            out.append(
                GateViolation(
                    str(r["rule"]),
                    str(r["source_name"]),
                    str(r["source_file"]),
                    failed,
                    checked,
                    tolerance,
                    str(r.get("fields") or ""),
                )
            )
    return sorted(out, key=lambda v: (v.rule, v.source_file))
