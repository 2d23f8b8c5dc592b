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

#: Bump when the hash of a row changes (another function, another way of reading the values).
KEYS_VERSION = f"duckdb-hash-{duckdb.__version__}"


def _arrow(values: Any) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow; values of several kinds in one column (text and numbers typed in the same field) as
    text."""
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(pd.Series(values).astype("string"), type=pa.string(), from_pandas=True)


#: Rows hashed at once: the Arrow copy of a piece of rows is what the hashing holds in memory.
_PIECE_ROWS = 500_000


def row_hashes(columns: Mapping[str, Any]) -> np.ndarray:
    """The hash of each row of ``columns`` (name: values, all of one length: Series, arrays), in their order, as
    uint64."""
    values = [v if isinstance(v, pd.Series) else pd.Series(v) for v in columns.values()]
    rows = len(values[0]) if values else 0
    names = ", ".join(f"c{i}" for i in range(len(values)))
    con = duckdb.connect()
    try:
        pieces = []
        for at in range(0, rows, _PIECE_ROWS):
            piece = pa.table({f"c{i}": _arrow(v.iloc[at : at + _PIECE_ROWS]) for i, v in enumerate(values)})
            con.register("rows_to_hash", piece)
            pieces.append(con.execute(f"select hash({names}) as h from rows_to_hash").fetchnumpy()["h"])
            con.unregister("rows_to_hash")
    finally:
        con.close()
    return np.concatenate([np.asarray(p, dtype=np.uint64) for p in pieces]) if pieces else np.empty(0, np.uint64)
