"""The segments task: every linked customer's features, tonight's segments, and who moved since last night.

Reads the golden records and links (link/), the staged journals and contacts (standardize/), settled invoices
and reliability (receivables/) from the run folder, and last night's segments from the warehouse (absent on a
first night). Writes marts.customer_feature, customer_segment, segment_profile, segment_channel and
segment_movement as Parquet, the model's record (model.json), and the analysts' rule views for publish.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import Engine, inspect, text

from transforms.pipeline.context import RunContext
from transforms.pipeline.manifest import write_manifest
from transforms.pipeline.outputs import publish_section, table_output
from transforms.pipeline.tracking import StageResult
from transforms.segments.assign import PreviousNight, data_signals, segment_customers
from transforms.segments.features import build_features
from transforms.segments.rules import compile_rule_views, dialect_of
from transforms.segments.settings import load_segments
from transforms.standardize.vocabulary import load_vocabulary
from transforms.warehouse.engine import make_engine
from transforms.warehouse.table_schemas import conform

log = logging.getLogger(__name__)

_INPUTS: dict[str, list[str]] = {
    "link/customer.parquet": [
        "customer_id",
        "channel",
        "account_manager",
        "country",
        "first_seen_on",
        "completeness",
        "record_count",
        "source_count",
    ],
    "link/customer_source_record.parquet": ["record_id", "customer_id"],
    "standardize/interaction.parquet": [
        "record_id",
        "interaction_at",
        "source_name",
        "interaction_type",
        "interaction_kind",
        "survey_score",
        "is_complaint",
        "tags",
        "preferences",
    ],
    "standardize/contact.parquet": ["record_id", "attributes", "channel_as_written"],
    "receivables/invoice.parquet": ["customer_id", "issued_on", "amount_due", "currency", "status", "document_type"],
    "receivables/customer_reliability.parquet": [
        "customer_id",
        "reliability_class",
        "late_payment_risk",
        "median_days_late",
        "share_paid_on_time",
    ],
}


def read_input(run_dir: Path, name: str) -> pd.DataFrame:
    """One earlier stage's table (only the columns used); empty when that stage wrote none tonight."""
    columns = _INPUTS[name]
    path = run_dir / name
    if not path.exists():
        if name.startswith("link/"):
            raise FileNotFoundError(f"{path} is missing: run the link stage of this run first")
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    present = set(pq.read_schema(path).names)
    frame: pd.DataFrame = pq.read_table(path, columns=[c for c in columns if c in present]).to_pandas()
    for c in columns:
        if c not in frame:
            frame[c] = None
    return frame


def read_previous_night(engine: Engine, as_of: dt.date | None = None) -> PreviousNight | None:
    """Last published night's segments and assignments, or None on a first night.

    On a rerun of a published night (the segments there are of ``as_of`` already), the assignments are those
    before that night, rebuilt by undoing the night's recorded movements: the rerun's movements are then the
    night's movements again, and publishing them in place of the first run's loses nothing.
    """
    insp = inspect(engine)
    if not (insp.has_table("segment_profile", schema="marts") and insp.has_table("customer_segment", schema="marts")):
        return None
    with engine.connect() as conn:
        profiles = pd.read_sql(
            text(
                "select segment_id, segment_name, centre_json, is_new, as_of from marts.segment_profile "
                "order by segment_id"
            ),
            conn,
        )
        assignments = pd.read_sql(
            text("select customer_id, segment_id, segment_name from marts.customer_segment"), conn
        )
        rerun = len(profiles) > 0 and bool((pd.to_datetime(profiles["as_of"]).dt.date == as_of).all())
        if as_of is not None and rerun and insp.has_table("segment_movement", schema="marts"):
            moves = pd.read_sql(
                text(
                    "select customer_id, from_segment_id, from_segment_name from marts.segment_movement "
                    "where as_of = :a"
                ),
                conn,
                params={"a": as_of},
            )
            before = moves.dropna(subset=["from_segment_id"]).rename(
                columns={"from_segment_id": "segment_id", "from_segment_name": "segment_name"}
            )
            before["segment_id"] = before["segment_id"].astype("int64")
            kept = assignments[~assignments["customer_id"].isin(moves["customer_id"])]
            assignments = pd.concat([kept, before], ignore_index=True) if len(before) else kept
    if profiles.empty:
        return None
    return PreviousNight(profiles, assignments.reset_index(drop=True))


def _write(table: str, frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as the Parquet file of warehouse ``table`` (a column empty tonight typed as the table says)."""
    pq.write_table(conform(table, frame), path)
    return path


def run_segments(ctx: RunContext) -> StageResult:
    """Compute tonight's features and segments and write them for publishing."""
    run_dir = Path(ctx.run_dir)
    settings, origin = load_segments(ctx.settings_file)
    origin = ctx.shown(origin)
    base_currency = settings.features.base_currency or ctx.load_sources().defaults.currency
    inputs = {name: read_input(run_dir, name) for name in _INPUTS}
    features = build_features(
        inputs["link/customer.parquet"],
        inputs["link/customer_source_record.parquet"],
        inputs["standardize/interaction.parquet"],
        inputs["standardize/contact.parquet"],
        inputs["receivables/invoice.parquet"],
        inputs["receivables/customer_reliability.parquet"],
        as_of=ctx.as_of_date,
        settings=settings.features,
        base_currency=base_currency,
        vocabulary=load_vocabulary(ctx.settings_file)[0],
    )
    engine = make_engine(ctx.warehouse_url)
    try:
        previous = read_previous_night(engine, ctx.as_of_date)
    finally:
        engine.dispose()
    out_dir = ctx.stage_dir("segments")
    stamp: dict[str, Any] = {"as_of": ctx.as_of_date, "run_id": ctx.run_id}
    feature_path = _write("marts.customer_feature", features.assign(**stamp), out_dir / "customer_feature.parquet")
    outputs = [table_output("marts", "customer_feature", feature_path)]
    signals, warnings = data_signals(features, inputs["standardize/interaction.parquet"])
    for warning in warnings:
        log.warning("segments: %s", warning)
    summary: dict[str, object] = {
        "settings": origin,
        "customers": len(features),
        "first_night": previous is None,
        "signals": signals,
        "warnings": warnings,
    }
    if len(features) >= 2:
        result = segment_customers(
            features, settings, previous, as_of=ctx.as_of_date, run_id=ctx.run_id, base_currency=base_currency
        )
        if previous is not None and (pd.to_datetime(previous.profiles["as_of"]).dt.date == ctx.as_of_date).all():
            # A rerun of an already published night: what was new that night stays new, so the rerun's tables
            # are the same as the first attempt's.
            was_new = previous.profiles.set_index("segment_id")["is_new"].astype(bool)
            result.profiles["is_new"] = result.profiles["segment_id"].map(was_new).fillna(True).astype(bool)
        tables = {
            "customer_segment": result.assignments,
            "segment_profile": result.profiles,
            "segment_channel": result.channels,
            "segment_movement": result.movements,
        }
        paths = {name: _write(f"marts.{name}", frame, out_dir / f"{name}.parquet") for name, frame in tables.items()}
        summary.update(result.summary)
        model = {
            **result.summary,
            "seed": settings.model.seed,
            "algorithm": settings.model.algorithm,
            "features": settings.model.features,
            "versions": {p: version(p) for p in ("scikit-learn", "pandas", "numpy", "scipy")},
            "centres": json.loads(result.profiles[["segment_id", "centre_json"]].to_json(orient="records")),
        }
        (out_dir / "model.json").write_text(json.dumps(model, indent=2, ensure_ascii=False, default=str), "utf-8")
        outputs += [
            table_output("marts", name, path, mode="history" if name == "segment_movement" else "replace")
            for name, path in paths.items()
        ]
    else:
        log.info("segments: %d customers, too few to group; last night's segments stay", len(features))
    views = [sql for _, sql in compile_rule_views(settings, dialect_of(ctx.warehouse_url))]
    log.info("segments: %d customers, k=%s, movements %s", len(features), summary.get("k"), summary.get("movements"))
    manifest = write_manifest(
        out_dir / "manifest.json", {**summary, "publish": publish_section(outputs), "views": views}
    )
    return StageResult(manifest, rows_in=len(features), rows_out=len(features))
