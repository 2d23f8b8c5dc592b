"""A published night scored against a company's own truth folder (``truth/`` in the second company's format).

The second company (``../shared/datasets/second_company``) and the larger companies the project is judged on come
with the same truth files: ``entity_map.csv`` (which source row is which true customer), ``customers_truth.csv``,
``dq_defects.csv`` and ``interactions_truth.csv``; rows are identified by file, sheet and 1-based data row. This
module reads what a night published and measures it the way that truth's README defines: linkage pairwise,
payment classes per true customer, planted data-quality defects found and flags without a defect, complaints
recognised, and segments against the hidden behaviour profiles. Used by the test that runs the whole night on the
second company and by ``make bench``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sklearn.metrics import adjusted_rand_score

ROW_KEY = ["file", "sheet", "row_number"]

#: A planted defect's field (truth) and the fields of ``dq.failure`` that report it. ``*`` is a whole-row failure.
DEFECT_FIELDS: dict[str, tuple[str, ...]] = {
    "dob": ("date_of_birth",),
    "phone_or_email": ("phone_or_email", "phone", "email"),
    "invoice_no": ("invoice_number",),
    "paid_date": ("payment_date",),
    "payment_id": ("payment_id", "*"),
    "last_updated": ("last_updated",),
    "street": ("street", "address"),
}


def _read_truth(truth: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(truth / name, keep_default_na=False, dtype=str)
    if "row_number" in frame:
        frame["row_number"] = frame["row_number"].astype(int)
    if "sheet" not in frame and "file" in frame:
        frame["sheet"] = ""
    return frame


def _relative_file(path: pd.Series, files: list[str]) -> pd.Series:
    """The truth's relative file name that ends each warehouse path (the warehouse keeps the sources file's
    spelling of the path, the truth a path relative to the company's folder)."""
    norm = path.astype(str).str.replace("\\", "/", regex=False)
    out = pd.Series("", index=path.index, dtype=object)
    for name in sorted(files, key=len, reverse=True):
        hit = (out == "") & (norm.str.endswith("/" + name) | (norm == name))
        out[hit] = name
    return out


def _located(frame: pd.DataFrame, files: list[str]) -> pd.DataFrame:
    located = frame.assign(
        file=_relative_file(frame["source_file"], files),
        sheet=frame["sheet"].fillna("").astype(str),
        row_number=frame["row_number"].astype(int),
    )
    return located[located["file"] != ""]


def _pairs_in_groups(sizes: pd.Series) -> int:
    n = sizes.to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


def _phone_tail(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits[-9:] if len(digits) >= 9 else ""


def linkage_scores(records: pd.DataFrame, entity_map: pd.DataFrame, contacts: pd.DataFrame) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the night's customers against the true customers, over the records
    both know; and the recall on true pairs that share a phone's last nine digits or an e-mail address as written
    (evidence any linkage should use)."""
    joined = entity_map.merge(records[[*ROW_KEY, "customer_id"]], on=ROW_KEY, how="inner")
    tp = _pairs_in_groups(joined.groupby(["customer_id", "true_customer_id"]).size())
    predicted = _pairs_in_groups(joined.groupby("customer_id").size())
    truth = _pairs_in_groups(joined.groupby("true_customer_id").size())
    precision = tp / predicted if predicted else 1.0
    recall = tp / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    evidence = joined.merge(contacts[[*ROW_KEY, "phone", "email"]], on=ROW_KEY, how="left")
    evidence["tail"] = evidence["phone"].fillna("").map(_phone_tail)
    evidence["mail"] = evidence["email"].fillna("").str.strip().str.casefold()
    evidence = evidence.reset_index(drop=True)
    pairs = evidence.merge(evidence, on="true_customer_id", suffixes=("_l", "_r"))
    pairs = pairs[
        (pairs["file_l"] + pairs["sheet_l"] + pairs["row_number_l"].astype(str))
        < (pairs["file_r"] + pairs["sheet_r"] + pairs["row_number_r"].astype(str))
    ]
    shares = ((pairs["tail_l"] != "") & (pairs["tail_l"] == pairs["tail_r"])) | (
        (pairs["mail_l"].str.contains("@")) & (pairs["mail_l"] == pairs["mail_r"])
    )
    sharing = pairs[shares]
    linked = (sharing["customer_id_l"] == sharing["customer_id_r"]).sum()
    return {
        "records_scored": len(joined),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "true_pairs": truth,
        "predicted_pairs": predicted,
        "true_pairs_sharing_phone_or_email": len(sharing),
        "recall_sharing_phone_or_email": round(float(linked / len(sharing)), 4) if len(sharing) else 1.0,
        "people_split": int((joined.groupby("true_customer_id")["customer_id"].nunique() > 1).sum()),
        "customers_joining_people": int((joined.groupby("customer_id")["true_customer_id"].nunique() > 1).sum()),
    }


def _majority_customer(records: pd.DataFrame, entity_map: pd.DataFrame) -> pd.Series:
    """Each true customer's night customer: the one holding most of its records."""
    joined = entity_map.merge(records[[*ROW_KEY, "customer_id"]], on=ROW_KEY, how="inner")
    counts = joined.groupby(["true_customer_id", "customer_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["true_customer_id", "n", "customer_id"], ascending=[True, False, True])
    return counts.drop_duplicates("true_customer_id").set_index("true_customer_id")["customer_id"]


def payment_scores(majority: pd.Series, customers: pd.DataFrame, reliability: pd.DataFrame) -> dict[str, Any]:
    """Share of true customers with something due whose night customer has their true payment class."""
    due = customers[customers["payment_class_observable"].str.lower() == "true"]
    given = reliability.set_index("customer_id")["reliability_class"]
    got = given.reindex(majority.reindex(due["true_customer_id"]).to_numpy()).fillna("missing").to_numpy()
    right = got == due["payment_class"].to_numpy()
    confusion = pd.crosstab(due["payment_class"].to_numpy(), got).to_dict()
    return {
        "customers_with_something_due": len(due),
        "class_right": round(float(right.mean()), 4) if len(due) else 1.0,
        "no_history_given": int((got == "no_history").sum()),
        "confusion": {k: {r: int(n) for r, n in v.items() if n} for k, v in confusion.items()},
    }


def quality_scores(failures: pd.DataFrame, quarantine: pd.DataFrame, defects: pd.DataFrame) -> dict[str, Any]:
    """Planted defects reported on their row and field, and flagged source rows that hold no planted defect."""
    reported = set(zip(failures["file"], failures["sheet"], failures["row_number"], failures["field"], strict=True))
    rows_reported = set(zip(failures["file"], failures["sheet"], failures["row_number"], strict=True))
    set_aside = set(zip(quarantine["file"], quarantine["sheet"], quarantine["row_number"], strict=True))

    def found(defect: pd.Series) -> bool:
        row = (defect["file"], defect["sheet"], defect["row_number"])
        if defect["field"] == "record":
            return row in set_aside
        names = DEFECT_FIELDS.get(defect["field"], (defect["field"],))
        return any((*row, name) in reported for name in (*names, "*"))

    hits = defects.apply(found, axis=1) if len(defects) else pd.Series(dtype=bool)
    planted_rows = set(zip(defects["file"], defects["sheet"], defects["row_number"], strict=True))
    false_rows = rows_reported - planted_rows
    missed = defects[~hits] if len(defects) else defects
    false_flags = failures[
        [
            (f, s, r) in false_rows
            for f, s, r in zip(failures["file"], failures["sheet"], failures["row_number"], strict=True)
        ]
    ]
    return {
        "defects_planted": len(defects),
        "defects_reported": round(float(hits.mean()), 4) if len(defects) else 1.0,
        "missed_by_kind": missed.groupby("defect_kind").size().to_dict() if len(missed) else {},
        "rows_flagged": len(rows_reported),
        "rows_flagged_without_defect": round(len(false_rows) / len(rows_reported), 4) if rows_reported else 0.0,
        "false_flags_by_rule": false_flags.groupby("rule")["row_number"].size().to_dict(),
    }


def complaint_scores(interactions: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Journal entries the truth marks as complaints that the night recognised, and false ones among the rest."""
    joined = truth.merge(interactions[["file", "row_number", "is_complaint"]], on=["file", "row_number"], how="left")
    is_true = joined["is_complaint"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    expected = joined["is_complaint_truth"].str.lower().eq("true").to_numpy()
    return {
        "entries": len(joined),
        "complaints": int(expected.sum()),
        "recognised": round(float(is_true[expected].mean()), 4) if expected.any() else 1.0,
        "false": round(float(is_true[~expected].mean()), 4) if (~expected).any() else 0.0,
    }


def segment_scores(majority: pd.Series, customers: pd.DataFrame, segments: pd.DataFrame) -> dict[str, Any]:
    """Adjusted Rand index of the segments against the truth's behaviour profiles, one customer a true customer."""
    segment_of = segments.set_index("customer_id")["segment_id"]
    joined = customers[["true_customer_id", "behaviour_profile"]].assign(
        customer_id=majority.reindex(customers["true_customer_id"]).to_numpy()
    )
    joined = joined.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    seg = segment_of.reindex(joined["customer_id"]).to_numpy()
    keep = pd.notna(seg)
    return {
        "customers": int(keep.sum()),
        "adjusted_rand_index": round(
            float(adjusted_rand_score(joined["behaviour_profile"].to_numpy()[keep], seg[keep].astype(str))), 4
        ),
    }


def read_night(warehouse_url: str, files: list[str]) -> dict[str, pd.DataFrame]:
    """The published night's tables a score needs, with each row located by the truth's file, sheet and row."""
    engine = sa.create_engine(warehouse_url)
    try:
        with engine.connect() as conn:

            def query(sql: str) -> pd.DataFrame:
                return pd.read_sql_query(sa.text(sql), conn)

            night = {
                "records": query("select source_file, sheet, row_number, customer_id from core.customer_source_record"),
                "contacts": query("select source_file, sheet, row_number, phone, email from staging.contact"),
                "failures": query(
                    "select source_file, sheet, row_number, field, rule from dq.failure "
                    "where as_of = (select max(as_of) from dq.failure)"
                ),
                "quarantine": query("select source_file, sheet, row_number, reason from staging.quarantine"),
                "interactions": query("select source_file, sheet, row_number, is_complaint from core.interaction"),
                "reliability": query("select customer_id, reliability_class from marts.customer_reliability"),
                "segments": query("select customer_id, segment_id from marts.customer_segment"),
            }
    finally:
        engine.dispose()
    return {name: _located(frame, files) if "source_file" in frame else frame for name, frame in night.items()}


def score_night(warehouse_url: str, company: Path) -> dict[str, Any]:
    """Every score of the night published in ``warehouse_url`` against ``company``/truth."""
    truth = company / "truth"
    entity_map = _read_truth(truth, "entity_map.csv")
    customers = _read_truth(truth, "customers_truth.csv")
    defects = _read_truth(truth, "dq_defects.csv")
    interactions = _read_truth(truth, "interactions_truth.csv").rename(columns={"is_complaint": "is_complaint_truth"})
    files = sorted({*entity_map["file"], *defects["file"], *interactions["file"]})
    night = read_night(warehouse_url, files)
    majority = _majority_customer(night["records"], entity_map)
    return {
        "linkage": linkage_scores(night["records"], entity_map, night["contacts"]),
        "payment": payment_scores(majority, customers, night["reliability"]),
        "quality": quality_scores(night["failures"], night["quarantine"], defects),
        "complaints": complaint_scores(night["interactions"], interactions),
        "segments": segment_scores(majority, customers, night["segments"]),
    }


def run_and_score(sources: Path, company: Path, work: Path, *, as_of: str = "2026-11-20") -> dict[str, Any]:
    """Run the whole night on ``sources`` into a fresh DuckDB warehouse under ``work`` and score it; the run's
    wall time and peak memory (of this process and its children) are added under ``run``."""
    import shutil
    import time

    import psutil

    from transforms.pipeline import tasks

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = f"duckdb:///{(work / 'warehouse.duckdb').resolve()}"
    started = time.perf_counter()
    run_dir = tasks.prepare_run(
        sources=str(sources), warehouse_url=url, as_of=as_of, run_id=f"score__{as_of}", data_dir=str(work / "data")
    )
    tasks.run_stages(run_dir)
    seconds = time.perf_counter() - started
    peak_mb = psutil.Process().memory_info().rss / 2**20
    try:
        import resource

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:  # pragma: no cover - not on POSIX
        pass
    scores = score_night(url, company)
    scores["run"] = {"seconds": round(seconds, 1), "peak_mb": round(peak_mb), "run_dir": str(run_dir)}
    return scores


def main(argv: list[str] | None = None) -> None:
    """Score a published night against a company's truth folder, or run the night first (``--sources``)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("company", type=Path, help="the company's folder (holding truth/)")
    parser.add_argument("--warehouse", help="score the night already published in this SQLAlchemy URL")
    parser.add_argument("--sources", type=Path, help="run the whole night on this sources file first")
    parser.add_argument("--work", type=Path, default=Path("/tmp/company_truth"), help="where the run goes")
    parser.add_argument("--as-of", default="2026-11-20")
    args = parser.parse_args(argv)
    if args.sources:
        result = run_and_score(args.sources, args.company, args.work, as_of=args.as_of)
    elif args.warehouse:
        result = score_night(args.warehouse, args.company)
    else:
        parser.error("give --warehouse URL or --sources FILE")
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
