"""What a stage hands to publishing: the warehouse tables its Parquet files fill.

A stage that produces warehouse tables lists them in its manifest under ``"publish"``; the publish
task loads every listed table of every stage in one transaction. Two modes:

``replace``  the table holds the last published night only (staging.*, core.*, marts.* current state):
             it is emptied and refilled.
``history``  the table keeps every night (dq.*, *_history): this run's rows are deleted, then appended,
             so a retried run does not double them; nights older than the retention setting are pruned.

``ledger``   like history, but never pruned (core.customer_id_history: every merge and split, forever).

A stage may also list ``"views"``: statements run after every table is loaded, in the same transaction.

A path of None means "no rows tonight" (a replace table is emptied, a history table gets nothing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from transforms.pipeline.manifest import read_manifest

Mode = Literal["replace", "history", "ledger"]


@dataclass(frozen=True)
class TableOutput:
    """One warehouse table filled from one Parquet file of a stage."""

    schema: str
    table: str
    path: str | None
    mode: Mode = "replace"
    rows: int = 0

    @property
    def name(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.table}"


def table_output(schema: str, table: str, path: Path | None, *, mode: Mode = "replace") -> TableOutput:
    """Describe a written Parquet file (or None for an empty table) as a table to publish."""
    if path is None or not Path(path).exists():
        return TableOutput(schema, table, None, mode, 0)
    import pyarrow.parquet as pq

    return TableOutput(schema, table, str(path), mode, int(pq.read_metadata(path).num_rows))


def publish_section(outputs: list[TableOutput]) -> list[dict[str, Any]]:
    """The manifest's ``"publish"`` value for these outputs."""
    return [asdict(o) for o in outputs]


def read_views(manifest_path: Path) -> list[str]:
    """SQL statements (create or replace view ...) a stage asks to run after every table is loaded."""
    return [str(v) for v in read_manifest(manifest_path).get("views", [])]


def read_outputs(manifest_path: Path) -> list[TableOutput]:
    """The tables a stage's manifest asks to publish (none if it lists none)."""
    data = read_manifest(manifest_path)
    return [TableOutput(**entry) for entry in data.get("publish", [])]
