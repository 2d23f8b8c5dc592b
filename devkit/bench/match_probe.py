"""Benchmark of the on-entry duplicate check (``crm-etl match``): latency per record against a large base.

Generating a million customers takes a quarter of an hour, so the base is built in two steps. ``customers``
generated customers (seed 7) are staged and linked as a night would (``link_records``: the fitted model and
each record's customer). Their staged contacts are then extended to ``records`` rows with copies in which every
person becomes another person: the surname gets a suffix (its match key recomputed by the standardizer's
``name_key``), the phone's last four digits and the tax id's digits are shifted, the date of birth moves by
37 days per copy and the e-mail gets a prefix. Each change is a function of the value and the copy number, so
the records of one copied customer still agree with each other; copies get new record ids and customer ids.
The model fitted on the generated records is kept (the base's size changes latency, not the model).

The query phase runs in a fresh process so its memory is the loaded index's, not the build's: half the queries
are base records sent back through the form (national phone format, day-first date, every third surname with
two letters swapped), half are made-up people (a common given name and surname of the base, a random date of
birth and phone).

    uv run python -c "from pathlib import Path; from devkit.bench.match_probe import bench_match; \\
        print(bench_match(Path('/tmp/bench_match'), 100000, 400))"
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pyarrow.parquet as pq

from devkit.bench.linkage_probe import staged_contacts
from transforms.linkage import link_records, load_linkage_settings
from transforms.linkage.matcher import MatchIndex, ReadingDefaults
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.memory import measure
from transforms.standardize.names import name_key
from transforms.standardize.vectorize import map_unique

#: Staged columns a form record is made from (besides those linkage reads).
_FORM_COLUMNS = ["record_id", "given_name", "surname", "phone_e164", "date_of_birth", "email", "city", "postcode"]
_SUFFIXES = ("a", "o", "ek", "in", "er", "ik", "an", "ov", "el", "us")


def linked_base(root: Path, customers: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], float]:
    """Staged contacts of ``customers`` generated customers, record -> customer, the fitted model (as a dict)
    and the seconds linking took; kept under ``root`` so a second call reads them back."""
    run_dir = staged_contacts(root, customers)
    settings = load_linkage_settings(None)
    wanted = list(dict.fromkeys([*settings.input_columns, *_FORM_COLUMNS, "surname_key"]))
    contacts = pq.read_table(RunCatalog(run_dir).path("standardize.contact"), columns=wanted).to_pandas()
    done = root / f"link_{customers}"
    if not (done / "model.json").is_file():
        start = time.perf_counter()
        result = link_records(contacts, settings, seed=0)
        seconds = time.perf_counter() - start
        done.mkdir(parents=True, exist_ok=True)
        links = result.clusters.assign(customer_id=lambda f: "CUST-" + f["cluster"].astype(str).str.zfill(7))
        links[["record_id", "customer_id"]].to_parquet(done / "links.parquet")
        (done / "model.json").write_text(json.dumps(result.model.to_dict()), "utf-8")
        (done / "seconds.json").write_text(json.dumps({"link_seconds": seconds}), "utf-8")
    links = pd.read_parquet(done / "links.parquet")
    model = json.loads((done / "model.json").read_text("utf-8"))
    seconds = float(json.loads((done / "seconds.json").read_text("utf-8"))["link_seconds"])
    return contacts, links, model, seconds


def _shift_digits(value: str | None, k: int, width: int = 4) -> str | None:
    """The last ``width`` digits moved by a copy-dependent step (a neighbour's number, not a typo)."""
    if value is None or len(value) < width or not value[-width:].isdigit():
        return value
    top = 10**width
    return value[:-width] + str((int(value[-width:]) + 1009 * k) % top).zfill(width)


def _suffixed(value: str | None, suffix: str = "", prefix: str = "") -> str | None:
    return None if value is None else f"{prefix}{value}{suffix}"


def _key(value: str | None) -> str | None:
    return None if value is None else name_key(value)


def extend_base(contacts: pd.DataFrame, links: pd.DataFrame, records: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The contacts and links grown to ``records`` rows with copies of other people (see the module docstring)."""
    parts, link_parts = [contacts], [links]
    k = 0
    while sum(len(p) for p in parts) < records:
        k += 1
        need = records - sum(len(p) for p in parts)
        c = contacts.head(need).copy()
        suffix = _SUFFIXES[(k - 1) % len(_SUFFIXES)] * (1 + (k - 1) // len(_SUFFIXES))
        c["surname"] = map_unique(c["surname"], partial(_suffixed, suffix=suffix))
        c["surname_key"] = map_unique(c["surname"], _key)
        c["phone_e164"] = map_unique(c["phone_e164"], partial(_shift_digits, k=k))
        c["tax_id"] = map_unique(c["tax_id"], partial(_shift_digits, k=k, width=3))
        dob = pd.to_datetime(c["date_of_birth"], errors="coerce") + pd.Timedelta(days=37 * k)
        days = dob.dt.date.to_numpy(dtype=object)
        days[dob.isna().to_numpy()] = None
        c["date_of_birth"] = days
        for col in ("email", "email_key"):
            c[col] = map_unique(c[col], partial(_suffixed, prefix=f"c{k}."))
        c["record_id"] = c["record_id"] + f"~{k}"
        lk = links[links["record_id"].isin(contacts["record_id"].head(need))].copy()
        lk["record_id"] = lk["record_id"] + f"~{k}"
        lk["customer_id"] = lk["customer_id"] + f"~{k}"
        parts.append(c)
        link_parts.append(lk)
    return pd.concat(parts, ignore_index=True), pd.concat(link_parts, ignore_index=True)


def _typo(word: str) -> str:
    i = len(word) // 2
    return word if len(word) < 4 else word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def make_queries(base: pd.DataFrame, links: pd.DataFrame, count: int, seed: int = 5) -> list[dict[str, Any]]:
    """Half base records sent back through a form (perturbed), half made-up people; each with the customer
    it should find (None for made-up people)."""
    import phonenumbers

    rng = np.random.default_rng(seed)
    customer_of = links.set_index("record_id")["customer_id"]
    named = base[base["given_name"].notna() & base["surname"].notna()]
    out: list[dict[str, Any]] = []
    picked = named.iloc[rng.choice(len(named), count // 2, replace=False)]
    for i, row in enumerate(picked.to_dict("records")):
        record: dict[str, Any] = {"given_name": row["given_name"], "surname": row["surname"]}
        if i % 3 == 0:
            record["surname"] = _typo(str(row["surname"]))
        if row["phone_e164"] is not None:
            number = phonenumbers.parse(str(row["phone_e164"]))
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            record |= {"phone": national, "phone_region": phonenumbers.region_code_for_number(number) or "PL"}
        if row["date_of_birth"] is not None and not pd.isna(row["date_of_birth"]):
            record["date_of_birth"] = pd.Timestamp(row["date_of_birth"]).strftime("%d.%m.%Y")
        if row["email"] is not None and i % 2 == 0:
            record["email"] = row["email"]
        for col in ("city", "postcode"):
            if row[col] is not None:
                record[col] = row[col]
        out.append({"record": record, "expected": customer_of.get(row["record_id"])})
    given = named["given_name"].value_counts().index[:200].to_numpy()
    surnames = named["surname"].value_counts().index[:500].to_numpy()
    for _ in range(count - len(out)):
        day = pd.Timestamp("1940-01-01") + pd.Timedelta(days=int(rng.integers(0, 60 * 365)))
        record = {
            "given_name": str(rng.choice(given)),
            "surname": str(rng.choice(surnames)),
            "date_of_birth": day.strftime("%d.%m.%Y"),
            "phone": f"+48 5{rng.integers(10, 99)} {rng.integers(100, 999)} {rng.integers(100, 999)}",
        }
        out.append({"record": record, "expected": None})
    return out


def _percentiles(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {f"p{q}": round(float(np.percentile(a, q)), 1) for q in (50, 95, 99)} | {"max": round(float(a.max()), 1)}


def query_phase(index_dir: Path, queries_file: Path) -> dict[str, Any]:
    """Load the index and time every query (run in a fresh process by ``bench_match``)."""
    proc = psutil.Process()
    rss0 = proc.memory_info().rss / 2**20
    start = time.perf_counter()
    index = MatchIndex.load(index_dir)
    load_seconds = time.perf_counter() - start
    rss_loaded = proc.memory_info().rss / 2**20
    queries = json.loads(queries_file.read_text("utf-8"))
    for q in queries[:5]:  # warm-up: first calls import and fill caches
        index.match(q["record"])
    kinds: dict[str, dict[str, list[float]]] = {}
    hits = found_nobody = 0
    for q in queries:
        cpu, wall = time.process_time(), time.perf_counter()
        result = index.match_record(q["record"])
        wall_ms, cpu_ms = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
        kind = "from_base" if q["expected"] is not None else "made_up"
        k = kinds.setdefault(kind, {"wall": [], "cpu": [], "candidates": []})
        k["wall"].append(wall_ms)
        k["cpu"].append(cpu_ms)
        k["candidates"].append(float(result.candidates))
        top = result.matches[0]["customer_id"] if result.matches else None
        hits += int(q["expected"] is not None and top == q["expected"])
        found_nobody += int(q["expected"] is None and top is None)
    everything = {key: [x for k in kinds.values() for x in k[key]] for key in ("wall", "cpu", "candidates")}
    rows: dict[str, Any] = {
        "load_seconds": round(load_seconds, 2),
        "index_rss_mib": round(rss_loaded - rss0, 1),
        "process_rss_mib": round(proc.memory_info().rss / 2**20, 1),
        "from_base_top_is_own_customer": round(hits / max(len(kinds.get("from_base", {}).get("wall", [])), 1), 4),
        "made_up_found_nobody": round(found_nobody / max(len(kinds.get("made_up", {}).get("wall", [])), 1), 4),
    }
    for kind, k in [("all", everything), *kinds.items()]:
        rows[kind] = {
            "queries": len(k["wall"]),
            "wall_ms": _percentiles(k["wall"]),
            "cpu_ms": _percentiles(k["cpu"]),
            "candidates": _percentiles(k["candidates"]),
        }
    return rows


def bench_match(
    root: Path, customers: int, queries: int, *, records: int = 1_000_000, keep_index: bool = True
) -> list[dict[str, Any]]:
    """Build the index over ``records`` rows (``customers`` generated customers, extended by copies), then time
    ``queries`` matches in a fresh process: p50/p95/p99 wall and CPU milliseconds, index build time and memory."""
    contacts, links, model_dict, link_seconds = linked_base(root, customers)
    generated = len(contacts)
    base, base_links = extend_base(contacts, links, records)
    del contacts
    settings = load_linkage_settings(None)
    from transforms.linkage.model import FittedModel

    model = FittedModel.from_dict(model_dict)
    gc.collect()
    with measure() as m:
        index = MatchIndex.build((base, base_links, model, settings), reading=ReadingDefaults(), run_id="bench")
    index_dir = root / f"match_index_{len(base)}"
    start = time.perf_counter()
    index.save(index_dir)
    save_seconds = time.perf_counter() - start
    queries_file = root / f"match_queries_{queries}.json"
    queries_file.write_text(json.dumps(make_queries(base, base_links, queries), ensure_ascii=False, default=str))
    size = sum(p.stat().st_size for p in index_dir.iterdir()) / 2**20
    del index, base, base_links
    gc.collect()
    proc = subprocess.run(
        [sys.executable, "-m", "devkit.bench.match_probe", str(index_dir), str(queries_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    return [
        {
            "step": "build_index",
            "generated_customers": customers,
            "generated_records": generated,
            "records": records,
            "link_generated_seconds": round(link_seconds, 1),
            "build_seconds": round(m.seconds, 1),
            "build_peak_rss_mib": round(m.peak_rss_mb, 1),
            "save_seconds": round(save_seconds, 1),
            "index_on_disk_mib": round(size, 1),
        },
        {"step": "match", **timing},
    ]


if __name__ == "__main__":
    print(json.dumps(query_phase(Path(sys.argv[1]), Path(sys.argv[2]))))
