"""A run's staged rows as the checks read them: a night's tables whole or some files' rows, one file's rows in
pieces of a given size, or the few columns a rule needs over a whole file.

Why apart from the validate stage: a file of millions of rows must never be read whole into pandas, so every
reading here goes through Arrow, a batch at a time, skipping the row groups whose statistics rule the file out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.pipeline.catalog import RunCatalog
from transforms.quality.frames import PAYMENT_IDENTITY, repeated_payments

#: The standardize stage's tables the checks read.
STAGED = ("contact", "invoice", "payment", "field_issue")
#: Rows read from a staged table at once while gathering a piece.
BATCH_ROWS = 65_536
#: The columns that name the file a staged row comes from.
FILE_KEY = ("source_name", "source_file")


def read_staged(
    run_dir: str | Path,
    *,
    files: set[tuple[str, str]] | None = None,
    tables: Sequence[str] = STAGED,
    columns: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The standardize stage's tables of a run (absent ones as empty frames): every row, or those of ``files``
    ((source name, file) pairs); every column, or ``columns``."""
    run = RunCatalog(run_dir)
    run.manifest("standardize")  # the stage has run
    out: dict[str, pd.DataFrame] = {}
    for table in tables:
        path = run.written(f"standardize.{table}")
        if path is None:
            out[table] = pd.DataFrame()
            continue
        where = [("source_file", "in", sorted({f for _, f in files}))] if files is not None else None
        frame = pq.read_table(path, columns=columns, filters=where).to_pandas()
        out[table] = frame if files is None else rows_of(frame, files)
    return out


def staged_row_count(run_dir: str | Path, table: str, pair: tuple[str, str]) -> int:
    """How many rows of a staged table come from one (source name, file), read from those two columns only."""
    path = RunCatalog(run_dir).written(f"standardize.{table}")
    if path is None:
        return 0
    return sum(len(piece) for piece in staged_chunks(path, pair, BATCH_ROWS, columns=list(FILE_KEY)))


def staged_chunks(
    path: str | Path, pair: tuple[str, str], rows: int, *, columns: list[str] | None = None
) -> Iterator[pa.Table]:
    """The rows of a staged table that come from one (source name, file), in their order, ``rows`` at a time
    (the last piece shorter). Read a batch at a time, skipping the row groups whose statistics rule the file
    out, so a piece costs its own rows and never the table's."""
    file = pq.ParquetFile(path)
    groups = [i for i in range(file.num_row_groups) if _may_hold(file.metadata.row_group(i), pair)]
    held: list[pa.Table] = []
    count = 0
    for batch in file.iter_batches(batch_size=min(rows, BATCH_ROWS), row_groups=groups, columns=columns):
        mine = pc.and_(pc.equal(batch["source_name"], pair[0]), pc.equal(batch["source_file"], pair[1]))
        kept = pa.Table.from_batches([batch.filter(mine)])
        if not len(kept):
            continue
        held.append(kept)
        count += len(kept)
        while count >= rows:
            joined = pa.concat_tables(held)
            yield joined.slice(0, rows)
            rest = joined.slice(rows)
            held, count = ([rest] if len(rest) else []), len(rest)
    if count:
        yield pa.concat_tables(held)


def _may_hold(group: pq.RowGroupMetaData, pair: tuple[str, str]) -> bool:
    """Whether a row group's statistics leave room for rows of this (source name, file)."""
    for i in range(group.num_columns):
        column = group.column(i)
        if column.path_in_schema not in FILE_KEY:
            continue
        value = pair[FILE_KEY.index(column.path_in_schema)]
        stats = column.statistics
        if stats is not None and stats.has_min_max and not (stats.min <= value <= stats.max):
            return False
    return True


def issues_of(path: str | Path, pair: tuple[str, str], record_ids: pd.Series) -> pd.DataFrame:
    """The field issues standardization recorded on these rows of a file, in the staged table's order."""
    where = [
        ("source_name", "==", pair[0]),
        ("source_file", "==", pair[1]),
        ("record_id", "in", list(record_ids.astype(str))),
    ]
    issues: pd.DataFrame = pq.read_table(path, filters=where).to_pandas()
    return issues


def file_payment_repeats(run_dir: str | Path, pair: tuple[str, str]) -> np.ndarray:
    """The duplicate-payment flag of a file's every payment, in its staged order, read from the columns that
    decide it (``PAYMENT_IDENTITY``), one column at a time."""
    path = RunCatalog(run_dir).written("standardize.payment")
    if path is None:
        return np.zeros(0, dtype=bool)
    names = set(pq.read_schema(path).names)
    columns = [c for c in PAYMENT_IDENTITY if c in names]
    where = [("source_name", "==", pair[0]), ("source_file", "==", pair[1])]
    table = pq.read_table(path, columns=columns, filters=where)
    return repeated_payments(table.select([c]).to_pandas()[c] for c in columns)


def record_ids_unique(run_dir: str | Path, pair: tuple[str, str]) -> bool:
    """Whether a file's staged contacts have distinct record ids (as they have, each naming its file and row)."""
    path = RunCatalog(run_dir).written("standardize.contact")
    if path is None:
        return True
    where = [("source_name", "==", pair[0]), ("source_file", "==", pair[1])]
    ids = pq.read_table(path, columns=["record_id"], filters=where).column("record_id")
    return bool(pc.count_distinct(ids, mode="all").as_py() == len(ids))


def rows_of(frame: pd.DataFrame, files: set[tuple[str, str]]) -> pd.DataFrame:
    """The rows of a staged table that come from these (source, file) pairs."""
    if frame.empty:
        return frame
    keep = [pair in files for pair in zip(frame["source_name"], frame["source_file"], strict=True)]
    return frame[keep].reset_index(drop=True)
