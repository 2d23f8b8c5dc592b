"""A file that changed since the night before is standardized only where it changed: the chunks of its rows that
are those of the night before take their staged rows from the entry the file last wrote, and the staged tables are
those of a night with no cache, row for row and in the same order.

Chunks are made small here (``CHUNK_ROWS``) so that a 300-customer company's files have several."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devkit.generator import generate_sample
from tests.pipeline.test_standardize_reuse import FIRST, LATE_PAYMENT, NEW_CALL, NEXT, _night
from tests.pipeline.test_standardize_reuse import _file_manifests as _manifests
from transforms.pipeline import standardize_stage
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.standardize_cache import LATEST_FOLDER, chunk_digest, prune, row_range
from transforms.standardize.source_files import TABLES

CHUNK = 40


@pytest.fixture(scope="module")
def small_chunks() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(standardize_stage, "CHUNK_ROWS", CHUNK)
        yield


def _staged(run_dir: Path) -> dict[str, pd.DataFrame | None]:
    """Each staged table as written, the run id left out (both nights compared have the same as-of)."""
    run = RunCatalog(run_dir)
    out: dict[str, pd.DataFrame | None] = {}
    for table in TABLES:
        path = run.written(f"standardize.{table}")
        out[table] = None if path is None else pq.read_table(path).to_pandas().drop(columns=["run_id"])
    return out


def _assert_same_rows_in_order(night: Path, fresh: Path) -> None:
    ours, theirs = _staged(night), _staged(fresh)
    assert ours.keys() == theirs.keys()
    for table, frame in ours.items():
        other = theirs[table]
        if frame is None or other is None:
            assert frame is None and other is None, table
            continue
        pd.testing.assert_frame_equal(frame, other, obj=f"staged {table}")


def _edit_csv_row(path: Path, row: int, column: str, value: str) -> None:
    """Change one field of one data row of a comma-separated file, its bytes otherwise kept."""
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    text = raw.decode(encoding)
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    lines = text.split(newline)
    header = next(csv.reader([lines[0]]))
    fields = next(csv.reader([lines[row]]))
    fields[header.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    lines[row] = buffer.getvalue()
    path.write_bytes(newline.join(lines).encode(encoding))


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("chunk_company")
    generate_sample(out, customers=300, seed=5)
    with (out / "accounting" / "payments.csv").open("a", encoding="utf-8") as f:
        f.write(LATE_PAYMENT)
    return out


@pytest.fixture(scope="module")
def nights(company: Path, small_chunks: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A first night; the call log then grows by a call and one customer's city is retyped in the middle of the
    accounting customer list; the second night with the first's cache, and the same night with none."""
    first = tmp_path_factory.mktemp("chunk_first")
    _night(company, first, "night_1", FIRST)
    with (company / "journals" / "call_log.csv").open("ab") as f:
        f.write(NEW_CALL.encode("cp1251"))
    _edit_csv_row(company / "accounting" / "customers.csv", 100, "Miejscowość", "Gdańsk")
    second = tmp_path_factory.mktemp("chunk_second")
    fresh = tmp_path_factory.mktemp("chunk_fresh")
    return {
        "first": first,
        "second": _night(company, second, "night_2", NEXT, cache_from=first),
        "fresh": _night(company, fresh, "night_2", NEXT),
    }


@pytest.mark.slow
def test_a_changed_file_standardizes_only_its_changed_chunks(nights: dict[str, Path]) -> None:
    manifests = _manifests(nights["second"])
    calls, customers = manifests["call_log"], manifests["accounting_customers"]
    assert not calls["reused"] and not customers["reused"]
    # The call log grew at its end: every chunk but its last (which now holds the new call) is taken.
    assert calls["chunks"]["reused"] == calls["chunks"]["of"] - 1 >= 2
    # One row retyped in the middle of the customer list: that row's chunk is made again, the others taken.
    assert customers["chunks"]["reused"] == customers["chunks"]["of"] - 1 >= 2
    # The payments file refused a payment dated the second night's day: that chunk is read again, the rest taken.
    payments = manifests["payments"]
    assert not payments["reused"]
    assert payments["chunks"]["reused"] == payments["chunks"]["of"] - 1


@pytest.mark.slow
def test_rows_taken_from_chunks_are_those_of_a_night_without_cache(nights: dict[str, Path]) -> None:
    _assert_same_rows_in_order(nights["second"], nights["fresh"])
    assert all(not m["chunks"]["reused"] for m in _manifests(nights["fresh"]).values() if m["chunks"])
    contact = pq.read_table(RunCatalog(nights["second"]).written("standardize.contact"))
    assert set(contact.column("run_id").to_pylist()) == {"night_2"}
    # A reused chunk's rows carry tonight's checksum of their file, as every other row of it does.
    extracted = {f["source_file"]: f["file_sha256"] for f in RunCatalog(nights["second"]).manifest("extract")["files"]}
    frame = contact.select(["source_file", "file_sha256"]).to_pandas().drop_duplicates()
    assert dict(zip(frame["source_file"], frame["file_sha256"], strict=True)) == {
        k: v for k, v in extracted.items() if k in set(frame["source_file"])
    }


@pytest.mark.slow
def test_a_new_country_in_a_file_standardizes_it_whole(
    company: Path, nights: dict[str, Path], small_chunks: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every chunk's phones may be read in any country the file writes: a file that now writes one more is read
    again whole."""
    customers = company / "accounting" / "customers.csv"
    original = customers.read_bytes()
    _edit_csv_row(customers, 200, "Kraj", "Japonia")
    try:
        data = tmp_path_factory.mktemp("chunk_country")
        night = _night(company, data, "night_3", NEXT, cache_from=nights["first"])
        fresh = _night(company, tmp_path_factory.mktemp("chunk_country_fresh"), "night_3", NEXT)
    finally:
        customers.write_bytes(original)
    assert _manifests(night)["accounting_customers"]["chunks"]["reused"] == 0
    assert _manifests(night)["call_log"]["chunks"]["reused"] >= 2
    _assert_same_rows_in_order(night, fresh)


@pytest.mark.slow
def test_the_entry_a_file_last_wrote_is_the_one_found(nights: dict[str, Path]) -> None:
    """The second night wrote the call log's new entry: a pointer per file names it, and an entry removed leaves
    no pointer after the cache is pruned."""
    cache = nights["second"].parents[1] / "cache" / "standardize"
    key = _manifests(nights["second"])["call_log"]["cache_key"]
    pointers = list((cache / LATEST_FOLDER).glob("*.json"))
    assert any(key in p.read_text("utf-8") for p in pointers)
    shutil.rmtree(cache / key)
    prune(cache, "standardize")
    assert not any(key in p.read_text("utf-8") for p in (cache / LATEST_FOLDER).glob("*.json"))


def test_row_range_reads_only_the_rows_asked_across_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    with pq.ParquetWriter(path, pa.schema([("n", pa.int64())])) as writer:
        for start in (0, 7, 10, 25):
            stop = {0: 7, 7: 10, 10: 25, 25: 31}[start]
            writer.write_table(pa.table({"n": list(range(start, stop))}))
    for start, stop in [(0, 31), (3, 8), (7, 10), (9, 26), (30, 31), (5, 5)]:
        got = [n for part in row_range(path, start, stop) for n in part.column("n").to_pylist()]
        assert got == list(range(start, stop)), (start, stop)


def test_a_chunk_digest_ignores_the_file_checksum_only() -> None:
    rows = pa.table({"file_sha256": ["a", "a"], "row_number": [1, 2], "name": ["x", None]})
    same = rows.set_column(0, "file_sha256", pa.array(["b", "b"]))
    assert chunk_digest(rows) == chunk_digest(same)
    assert chunk_digest(rows.to_batches()[0]) == chunk_digest(rows)
    other = rows.set_column(2, "name", pa.array(["x", "y"]))
    assert chunk_digest(rows) != chunk_digest(other)
    # The same rows cut from a longer file digest the same.
    longer = pa.concat_tables([rows, rows.slice(0, 1)])
    assert chunk_digest(longer.slice(0, 2)) == chunk_digest(rows)


@pytest.mark.slow
def test_rows_read_while_another_night_rewrote_the_entry_are_read_again(
    company: Path, nights: dict[str, Path], small_chunks: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """When the entry the chunks came from was written again meanwhile (another night of the same file), the rows
    may come from two nights: the file is standardized again, whole."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(standardize_stage, "unchanged", lambda cached: False)
        night = _night(company, tmp_path_factory.mktemp("chunk_race"), "night_2", NEXT, cache_from=nights["first"])
    assert _manifests(night)["call_log"]["chunks"]["reused"] == 0
    _assert_same_rows_in_order(night, nights["fresh"])
