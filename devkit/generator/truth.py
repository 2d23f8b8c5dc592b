"""The truth behind the files, streamed to Parquet as rows are written, so memory stays flat at any size.

Writers call ``row`` and ``defect`` right where they write a file row, so the truth is exactly what was
written. Tables (all under ``truth/``):

``rows.parquet`` - one row per data row under a header, records and everything else:
    source_name, source_file (relative to sources.yml), sheet ('' for CSV/JSONL), row_number (1 = first row
    under the header; blank and non-record rows count; xlsx: physical row - header row; CSV: line - 1;
    JSONL: line), row_type (record, blank, section_title, total, repeated_header, malformed), customer_id
    (records only), record_date (the row's own date: last update, call, visit, issue or payment date),
    phone / email / date_of_birth / given_name / surname (the true values as of record_date, names in
    native script: a row written before a move carries the old phone, before a wedding the maiden name),
    phone_written_ok / email_written_ok / dob_written_ok (True: written recoverably, only the format
    differs; False: missing, sentinel or corrupted; null: no true value or no such column),
    name_variant ('+'-joined transformations: nickname, latin_pl, swapped, folded, outdated ...),
    is_current (phone, address and surname are still the customer's current ones), invoice_number
    (canonical, for invoices and payments).
``defects.parquet`` - one row per planted defect: the row's location, customer_id, field ('*' = the whole
    row), defect (missing, sentinel, typo, swapped_names, bad_phone, bad_email, impossible_dob, swapped_dob,
    stale, duplicate_record, duplicate_account, bad_tax_id, bad_invoice_number, negative_amount,
    payment_before_invoice, unknown_invoice, duplicate_payment, wrong_type, malformed_json) and the value as
    written.
``customers.parquet`` and ``invoices.parquet`` are written by ``customer_table`` and ``accounting``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROW_TYPES: tuple[str, ...] = ("record", "blank", "section_title", "total", "repeated_header", "malformed")

ROWS_SCHEMA = pa.schema(
    [
        ("source_name", pa.string()),
        ("source_file", pa.string()),
        ("sheet", pa.string()),
        ("row_number", pa.int32()),
        ("row_type", pa.string()),
        ("customer_id", pa.string()),
        ("record_date", pa.date32()),
        ("phone", pa.string()),
        ("email", pa.string()),
        ("date_of_birth", pa.date32()),
        ("given_name", pa.string()),
        ("surname", pa.string()),
        ("phone_written_ok", pa.bool_()),
        ("email_written_ok", pa.bool_()),
        ("dob_written_ok", pa.bool_()),
        ("name_variant", pa.string()),
        ("is_current", pa.bool_()),
        ("invoice_number", pa.string()),
    ]
)
DEFECTS_SCHEMA = pa.schema(
    [
        ("source_name", pa.string()),
        ("source_file", pa.string()),
        ("sheet", pa.string()),
        ("row_number", pa.int32()),
        ("customer_id", pa.string()),
        ("field", pa.string()),
        ("defect", pa.string()),
        ("value", pa.string()),
    ]
)
_FLUSH = 50_000


@dataclass(frozen=True)
class Loc:
    """Where rows are written: the source, its file (relative to sources.yml) and the sheet ('' for text)."""

    source_name: str
    source_file: str
    sheet: str = ""


class _Buffered:
    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self.buffer: list[tuple[Any, ...]] = []
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, values: tuple[Any, ...]) -> None:
        self.buffer.append(values)
        self.rows += 1
        if len(self.buffer) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer and self.writer is not None:
            return
        columns = list(zip(*self.buffer, strict=True)) if self.buffer else [() for _ in self.schema]
        table = pa.table(
            {f.name: pa.array(list(col), type=f.type) for f, col in zip(self.schema, columns, strict=True)}
        )
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.writer.write_table(table)
        self.buffer.clear()

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


class TruthSink:
    """Collects rows.parquet and defects.parquet while the files are written."""

    def __init__(self, truth_dir: Path, customers: int):
        truth_dir.mkdir(parents=True, exist_ok=True)
        self.customers = customers
        #: Record rows per customer (index = customer number - 1), per source name.
        self.records_by_source: dict[str, np.ndarray] = {}
        self.rows = _Buffered(truth_dir / "rows.parquet", ROWS_SCHEMA)
        self.defects = _Buffered(truth_dir / "defects.parquet", DEFECTS_SCHEMA)
        self.per_file: Counter[str] = Counter()
        self.per_type: Counter[tuple[str, str]] = Counter()  # (source_name, row_type)
        self.defect_counts: Counter[str] = Counter()

    def row(
        self,
        loc: Loc,
        row_number: int,
        row_type: str,
        *,
        customer_id: str | None = None,
        record_date: dt.date | None = None,
        phone: str | None = None,
        email: str | None = None,
        dob: dt.date | None = None,
        names: tuple[str, str] | None = None,
        phone_ok: bool | None = None,
        email_ok: bool | None = None,
        dob_ok: bool | None = None,
        name_variant: str | None = None,
        is_current: bool | None = None,
        invoice_number: str | None = None,
    ) -> None:
        """Record one data row under a header."""
        self.rows.add(
            (
                loc.source_name,
                loc.source_file,
                loc.sheet,
                row_number,
                row_type,
                customer_id,
                record_date,
                phone,
                email,
                dob,
                names[0] if names else None,
                names[1] if names else None,
                phone_ok,
                email_ok,
                dob_ok,
                name_variant,
                is_current,
                invoice_number,
            )
        )
        self.per_file[loc.source_file] += 1
        self.per_type[(loc.source_name, row_type)] += 1
        if customer_id is not None and row_type == "record":
            counts = self.records_by_source.get(loc.source_name)
            if counts is None:
                counts = self.records_by_source[loc.source_name] = np.zeros(self.customers, dtype=np.int32)
            counts[int(customer_id[1:]) - 1] += 1

    def defect(self, loc: Loc, row_number: int, customer_id: str | None, planted: tuple[str, str, str]) -> None:
        """Record one planted defect: ``planted`` is (field, defect, value as written)."""
        field, defect, value = planted
        self.defects.add((loc.source_name, loc.source_file, loc.sheet, row_number, customer_id, field, defect, value))
        self.defect_counts[defect] += 1

    def close(self) -> None:
        """Flush and close both Parquet files (empty files still get a schema)."""
        self.rows.close()
        self.defects.close()
