"""``crm-etl match``: which existing customers a new record probably duplicates, as JSON.

A form sends one record (JSON, logical field names such as given_name, surname, date_of_birth, phone, email,
city, postcode, tax_id; ``phone_region`` and ``country`` tell how to read a phone written without its country
code). The answer lists the customers whose records the nightly model pairs with it, best first, with the match
probability and how each piece of evidence compared. The base is the latest published night's match index:
found from an index folder, a run folder, or the warehouse's latest published run under the data folder.

Exit code: 0 the record was checked (duplicates found or not), 1 there is no linked run to match against,
2 the record cannot be read (the message names the field).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from transforms.linkage.matcher import MatchIndex, RecordInputError, record_fields
from transforms.pipeline.catalog import RunCatalog, dataset
from transforms.record_input import parse_record, read_record_text

log = logging.getLogger(__name__)


class NoIndexError(FileNotFoundError):
    """No match index and no linked run folder could be found."""


def _has_link(run: RunCatalog) -> bool:
    return run.path("link.model").is_file()


def _published_run(data_dir: Path, warehouse_url: str | None) -> RunCatalog | None:
    """The latest published run the warehouse records, if its folder is under ``data_dir`` and linked."""
    from transforms.warehouse.status import latest_published_run

    url = warehouse_url or os.environ.get("CRM_WAREHOUSE_URL") or f"duckdb:///{data_dir / 'warehouse.duckdb'}"
    if url.startswith("duckdb:///") and not Path(url.removeprefix("duckdb:///")).is_file():
        return None  # never create an empty warehouse just to look for runs
    try:
        run_id = latest_published_run(url)
    except Exception as exc:  # an unreachable or busy warehouse: fall back to the run folders
        log.warning("match: cannot read the latest published run from the warehouse (%s)", type(exc).__name__)
        return None
    if run_id is None:
        return None
    run = RunCatalog.of_run(data_dir, run_id)
    return run if _has_link(run) else None


def _newest_linked_run(data_dir: Path) -> RunCatalog | None:
    found = RunCatalog.every_run(data_dir, holding="link.model")
    return max(found, key=lambda run: run.path("link.model").stat().st_mtime, default=None)


def find_index(
    *, index_dir: Path | None, run_dir: Path | None, data_dir: Path, warehouse_url: str | None = None
) -> tuple[MatchIndex, str]:
    """The index to match against and where it came from: the index folder given, else the run folder given,
    else the latest published run's folder under ``data_dir`` (the warehouse says which), else the newest run
    folder there with a linkage model. A run without a saved index has it built in memory (slower)."""
    if index_dir is not None:
        return MatchIndex.load(index_dir), str(index_dir)
    given = RunCatalog(run_dir) if run_dir is not None else None
    run = given or _published_run(data_dir, warehouse_url) or _newest_linked_run(data_dir)
    if run is None:
        raise NoIndexError(
            f"no linked run under {RunCatalog.runs_folder(data_dir)}: run the nightly linkage first, "
            "or pass --run-dir or --index"
        )
    saved = run.path("link.match_index")
    if saved.is_dir():
        return MatchIndex.load(saved), str(saved)
    if not _has_link(run):
        raise NoIndexError(f"{run.root}: this run has no linkage results ({dataset('link.model').path})")
    log.warning("match: %s has no saved match index; building it in memory from the run's files", run.root)
    return MatchIndex.build(run.root), str(run.root)


def golden_names(origin: Path, customer_ids: list[str]) -> dict[str, str]:
    """The golden record's name (or company) of each customer, from the run the index was built from."""
    run = RunCatalog.of_path(origin, "link.match_index") or RunCatalog(origin)
    path = run.path("link.customer")
    if not customer_ids or not path.exists():
        return {}
    import pyarrow.parquet as pq

    wanted = ["customer_id", "given_name", "patronymic", "surname", "full_name", "company"]
    present = [c for c in wanted if c in pq.read_schema(path).names]
    table = pq.read_table(path, columns=present, filters=[("customer_id", "in", customer_ids)]).to_pylist()
    out = {}
    for row in table:
        parts = [row.get(k) for k in ("given_name", "patronymic", "surname") if row.get(k)]
        name = " ".join(str(p) for p in parts) or row.get("full_name") or row.get("company")
        if name:
            out[str(row["customer_id"])] = str(name)
    return out


def _read_record(record_file: Path | None) -> object:
    """The record, read within the input limits (``transforms.record_input``)."""
    try:
        return parse_record(read_record_text(record_file))
    except ValueError as exc:
        raise RecordInputError(str(exc)) from None


def match_command(
    record_file: Path | None,
    index_dir: Path | None,
    run_dir: Path | None,
    data_dir: Path,
    limit: int = 5,
    *,
    warehouse_url: str | None = None,
    floor: float | None = None,
) -> int:
    """``crm-etl match``: read one record as JSON (a file, or stdin when ``record_file`` is None), print the
    customers it probably duplicates as JSON; exit code 0 checked, 1 nothing to match against, 2 bad input."""
    try:
        record = _read_record(record_file)
        record_fields(record)  # refuse a bad record before loading a large index
    except (OSError, RecordInputError) as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 2
    try:
        index, origin = find_index(index_dir=index_dir, run_dir=run_dir, data_dir=data_dir, warehouse_url=warehouse_url)
    except (OSError, ValueError) as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 1
    try:
        result = index.match_record(record, limit, floor=floor)
    except RecordInputError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 2
    low = index.settings.thresholds.review_lower if floor is None else floor
    matches = result.to_dict()
    names = golden_names(Path(origin), [m["customer_id"] for m in matches.get("matches", [])])
    for m in matches.get("matches", []):
        m["name"] = names.get(m["customer_id"])
    out: dict[str, Any] = {
        "run_id": index.meta.get("run_id"),
        "index": origin,
        "floor": low,
        **matches,
    }
    log.info("match: %d candidates, %d customers above %.2f", result.candidates, len(result.matches), low)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
