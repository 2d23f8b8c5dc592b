"""The publishing gate: a critical rule failing on more of a file's rows than its tolerance stops the run."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


class QualityGateError(RuntimeError):
    """Raised after the stage has written its files, when a critical rule exceeds its tolerance."""

    def __init__(self, violations: list[GateViolation]) -> None:
        self.violations = violations
        lines = [v.describe() for v in violations]
        super().__init__(
            f"data-quality gate: {len(violations)} critical rule(s) over tolerance, not publishing:\n  - "
            + "\n  - ".join(lines)
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

    @property
    def share(self) -> float:
        """Share of the file's checked rows that failed."""
        return self.failed / self.checked if self.checked else 0.0

    def describe(self) -> str:
        """The violation in one line."""
        return (
            f"{self.rule}: {self.source_file} ({self.source_name}): {self.failed} of {self.checked} rows "
            f"({self.share:.1%}) fail, tolerance {self.tolerance:.1%}"
        )


def gate_violations(rows: pd.DataFrame) -> list[GateViolation]:
    """Violations from per-file rule counts (columns rule, severity, tolerance, source_name, source_file,
    checked, failed: distinct rows of the file checked by and failing the rule)."""
    out: list[GateViolation] = []
    if rows.empty:
        return out
    crit = rows[(rows["severity"] == "critical") & (rows["failed"] > 0)]
    for r in crit.to_dict("records"):
        checked, failed, tolerance = int(r["checked"]), int(r["failed"]), float(r["tolerance"])
        if checked and failed / checked > tolerance:
            out.append(
                GateViolation(str(r["rule"]), str(r["source_name"]), str(r["source_file"]), failed, checked, tolerance)
            )
    return sorted(out, key=lambda v: (v.rule, v.source_file))
