"""A night's segments: every linked customer's features, tonight's segments, and who moved since last night.

``segment_night`` works on the frames of the night's earlier stages (``INPUT_COLUMNS`` names the columns it uses
of each) and on last night's segments (``read_previous_night``, from the warehouse; absent on a first night). It
returns the tables of marts.customer_feature, customer_segment, segment_profile, segment_channel and
segment_movement, the model's record and the figures an operator reads; reading and writing files is the segment
stage's job (``transforms.pipeline.segment_stage``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.segments.assign import PreviousNight, SegmentResult, data_signals, segment_customers
from transforms.segments.features import build_features
from transforms.segments.settings import SegmentSettings
from transforms.standardize.vocabulary import VocabularySettings
from transforms.warehouse.frames import read_frame
from transforms.warehouse.load import table_columns

log = logging.getLogger(__name__)

#: The earlier stages' tables the features are built from (in ``build_features``'s order), and their columns used.
INPUT_COLUMNS: dict[str, list[str]] = {
    "customers": [
        "customer_id",
        "channel",
        "account_manager",
        "country",
        "first_seen_on",
        "completeness",
        "record_count",
        "source_count",
    ],
    "links": ["record_id", "customer_id"],
    "interactions": [
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
    "contacts": ["record_id", "attributes", "channel_as_written"],
    "invoices": ["customer_id", "issued_on", "amount_due", "currency", "status", "document_type"],
    "reliability": [
        "customer_id",
        "reliability_class",
        "late_payment_risk",
        "median_days_late",
        "share_paid_on_time",
    ],
}


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
        present = set(table_columns(conn, "marts", "segment_profile"))
        # What k was chosen with and when: absent from a warehouse published before the columns (k chosen again).
        recorded = [c for c in ("customers", "k", "criterion_value", "k_chosen_on", "model_key") if c in present]
        profiles = pd.read_sql(
            text(
                f"select {', '.join(['segment_id', 'segment_name', 'centre_json', 'is_new', 'as_of', *recorded])} "
                "from marts.segment_profile order by segment_id"
            ),
            conn,
        )
        # Every customer's segment (a million rows at a million customers): read as columns.
        assignments = read_frame(conn, "select customer_id, segment_id, segment_name from marts.customer_segment")
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


@dataclass(frozen=True)
class SegmentNight:
    """What a night's segmentation produced."""

    #: marts.customer_feature, stamped with the night.
    features: pd.DataFrame
    #: Tonight's segments, or None when there are too few customers to group (last night's segments stay).
    result: SegmentResult | None
    #: The segment model's record (seed, algorithm, versions, centres), with ``result``.
    model: dict[str, Any] | None
    #: Counts, what the data holds (complaints, surveys, channels) and warnings, for the stage's manifest.
    summary: dict[str, Any]


def segment_night(
    inputs: dict[str, pd.DataFrame],
    settings: SegmentSettings,
    previous: PreviousNight | None,
    *,
    as_of: dt.date,
    run_id: str,
    base_currency: str,
    vocabulary: VocabularySettings,
    choose_k: bool = False,
) -> SegmentNight:
    """Compute tonight's features and segments from the earlier stages' tables (``INPUT_COLUMNS``); with
    ``choose_k``, the number of segments is chosen again whatever its schedule says."""
    features = build_features(
        inputs["customers"],
        inputs["links"],
        inputs["interactions"],
        inputs["contacts"],
        inputs["invoices"],
        inputs["reliability"],
        as_of=as_of,
        settings=settings.features,
        base_currency=base_currency,
        vocabulary=vocabulary,
    )
    stamped = features.assign(as_of=as_of, run_id=run_id)
    signals, warnings = data_signals(features, inputs["interactions"])
    for warning in warnings:
        log.warning("segments: %s", warning)
    summary: dict[str, Any] = {
        "customers": len(features),
        "first_night": previous is None,
        "signals": signals,
        "warnings": warnings,
    }
    result: SegmentResult | None = None
    model: dict[str, Any] | None = None
    if len(features) >= 2:
        result = segment_customers(
            features, settings, previous, as_of=as_of, run_id=run_id, base_currency=base_currency, choose_k=choose_k
        )
        if previous is not None and (pd.to_datetime(previous.profiles["as_of"]).dt.date == as_of).all():
            # A rerun of an already published night: what was new that night stays new, so the rerun's tables
            # are the same as the first attempt's.
            was_new = previous.profiles.set_index("segment_id")["is_new"].astype(bool)
            result.profiles["is_new"] = result.profiles["segment_id"].map(was_new).fillna(True).astype(bool)
        summary.update(result.summary)
        model = {
            **result.summary,
            "seed": settings.model.seed,
            "algorithm": settings.model.algorithm,
            "features": settings.model.features,
            "log_units": settings.model.log_units,
            "versions": {p: version(p) for p in ("scikit-learn", "pandas", "numpy", "scipy")},
            "centres": json.loads(result.profiles[["segment_id", "centre_json"]].to_json(orient="records")),
        }
    else:
        log.info("segments: %d customers, too few to group; last night's segments stay", len(features))
    return SegmentNight(stamped, result, model, summary)
