"""One 64-bit hash per row of a few columns, computed by DuckDB.

A night keys every record by a hash of its values (what the linkage prepares from it, what its golden record is
made of) to find what changed since the night before. pandas hashes text only once it is cast to text, column by
column: at a million customers (three million records, thirty columns) that took about a minute a night. DuckDB
hashes the same rows from Arrow in C++, on every core, in seconds.

A hash is only compared with hashes made the same way: what a night keeps for the next names the version of its
keys (``KEYS_VERSION``), and a night that finds keys of another version does not reuse them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

#: What the hash of a row depends on besides its values: the function, and how the values become Arrow columns
#: (a date read at another resolution, an integer read as a float, hash otherwise).
KEYS_VERSION = f"duckdb-hash-{duckdb.__version__}/pandas-{pd.__version__}/pyarrow-{pa.__version__}"

#: What pandas infers of an object column whose values Arrow reads as one type in every piece of rows.
_ONE_KIND = {"string", "empty", "boolean", "integer", "floating", "date", "datetime", "datetime64", "bytes"}


def _as_text(values: pd.Series) -> bool:
    """Whether a column is hashed as text: values of several kinds in one column (text and numbers typed in the
    same field), so that a row's hash does not depend on what else its piece of rows holds."""
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in _ONE_KIND


class _MixedColumnError(Exception):
    """A column Arrow cannot read as one type after all: it is hashed as text, every piece of it."""

    def __init__(self, column: int) -> None:
        super().__init__(column)
        self.column = column


def _arrow(values: pd.Series, as_text: bool, column: int) -> pa.Array | pa.ChunkedArray:
    if as_text:
        return pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as error:
        raise _MixedColumnError(column) from error


#: Rows hashed at once: the Arrow copy of a piece of rows is what the hashing holds in memory.
_PIECE_ROWS = 500_000


def row_hashes(columns: Mapping[str, Any]) -> np.ndarray:
    """The hash of each row of ``columns`` (name: values, all of one length: Series, arrays), in their order, as
    uint64."""
    values = [v if isinstance(v, pd.Series) else pd.Series(v) for v in columns.values()]
    text = [_as_text(v) for v in values]
    while True:
        try:
            return _hashed(values, text)
        except _MixedColumnError as found:
            text[found.column] = True


def _hashed(values: list[pd.Series], text: list[bool]) -> np.ndarray:
    rows = len(values[0]) if values else 0
    names = ", ".join(f"c{i}" for i in range(len(values)))
    con = duckdb.connect()
    try:
        pieces = []
        for at in range(0, rows, _PIECE_ROWS):
            piece = pa.table({f"c{i}": _arrow(v.iloc[at : at + _PIECE_ROWS], text[i], i) for i, v in enumerate(values)})
            con.register("rows_to_hash", piece)
            pieces.append(con.execute(f"select hash({names}) as h from rows_to_hash").fetchnumpy()["h"])
            con.unregister("rows_to_hash")
    finally:
        con.close()
    return np.concatenate([np.asarray(p, dtype=np.uint64) for p in pieces]) if pieces else np.empty(0, np.uint64)
