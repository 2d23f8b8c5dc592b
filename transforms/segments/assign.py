"""The night's segments end to end: fit, match to last night, name, profile, and record who moved.

Pure function of DataFrames (the stage does the reading and writing), so a test can run two nights in a
row without a warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from transforms.lineage import RUN_STAMP
from transforms.segments.matching import match_segments
from transforms.segments.model import fit_segments, to_model_space
from transforms.segments.naming import name_segments
from transforms.segments.settings import ModelSettings, SegmentSettings
from transforms.warehouse.table_schemas import columns_except

LATE_CLASSES = ("slight_delay", "significant_delay", "non_payer")


@dataclass(frozen=True)
class PreviousNight:
    """What last night left in the warehouse: its segments (with centres) and who was in which."""

    profiles: pd.DataFrame  # segment_id, segment_name, centre_json; criterion_value, k_chosen_on, model_key if known
    assignments: pd.DataFrame  # customer_id, segment_id, segment_name

    def centres(self) -> pd.DataFrame:
        """Last night's centres in feature units, one row per segment in the order of ``profiles``."""
        rows = [json.loads(c) for c in self.profiles["centre_json"]]
        return pd.DataFrame(rows)

    def recorded(self, column: str) -> Any:
        """A value every segment of last night shares (when k was chosen, the model settings' key, the
        criterion's value), or None when last night did not record it (a warehouse from before the column)."""
        if column not in self.profiles.columns or self.profiles.empty:
            return None
        values = self.profiles[column].dropna().unique()
        return values[0] if len(values) == 1 and self.profiles[column].notna().all() else None


def model_key(settings: ModelSettings) -> str:
    """What the number of segments was chosen with: the model settings but the schedule, and scikit-learn's
    version. Another key tonight means k is chosen again."""
    kept = settings.model_dump(mode="json", exclude={"choose_k_every_days", "max_match_distance"})
    text = json.dumps({"settings": kept, "scikit-learn": version("scikit-learn")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def k_choice(
    previous: PreviousNight | None, settings: ModelSettings, as_of: dt.date, *, asked_full: bool = False
) -> tuple[bool, str]:
    """Whether tonight tries every k of the range, and why (for the manifest).

    A night run again chooses k again when the night it follows chose it (the same night): it then does what that
    night did.
    """
    if asked_full:
        return True, "the night was asked for in full (--full)"
    if previous is None or len(previous.profiles) < 2:
        return True, "no earlier segments"
    chosen_on = previous.recorded("k_chosen_on")
    if chosen_on is None or pd.isna(chosen_on):
        return True, "last night did not record when k was chosen"
    chosen = pd.Timestamp(chosen_on).date()
    if previous.recorded("model_key") != model_key(settings):
        return True, "the model settings or scikit-learn changed since k was chosen"
    if previous.recorded("k") is not None and not settings.k_min <= int(previous.recorded("k")) <= settings.k_max:
        return True, "last night's k is outside k_min..k_max"
    age = (as_of - chosen).days
    if age <= 0 or age >= settings.choose_k_every_days:
        return True, f"k was chosen on {chosen.isoformat()}, every {settings.choose_k_every_days} day(s)"
    return False, f"k kept: chosen on {chosen.isoformat()}, again after {settings.choose_k_every_days} day(s)"


@dataclass
class SegmentResult:
    """The night's segment tables and a summary for the manifest."""

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    channels: pd.DataFrame
    movements: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def _profiles(features: pd.DataFrame, seg: pd.Series, base_currency: str) -> pd.DataFrame:
    f = features.assign(
        segment_id=seg.to_numpy(),
        pays_late=features["reliability_class"].isin(LATE_CLASSES).astype(float),
        base_amount=features["avg_invoice_amount"].where(features["spend_currency"] == base_currency),
    )
    g = f.groupby("segment_id")
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "median_invoices_per_year": g["invoices_per_year"].median(),
            "median_avg_invoice_index": g["avg_invoice_index"].median(),
            "median_avg_invoice_amount": g["base_amount"].median(),
            "median_tenure_days": g["tenure_days"].median(),
            "median_days_since_last_invoice": g["days_since_last_invoice"].median(),
            "mean_calls": g["calls"].mean(),
            "mean_visits": g["visits"].mean(),
            "mean_complaints": g["complaints"].mean(),
            "median_survey_score": g["mean_survey_score"].median(),
            "mean_late_payment_risk": g["late_payment_risk"].mean(),
            "share_paying_late": g["pays_late"].mean(),
            "median_completeness": g["completeness"].median(),
        }
    )
    out["share_of_customers"] = out["customers"] / len(features)
    out["amount_currency"] = base_currency
    top = f.groupby(["segment_id", "channel"]).size().rename("n").reset_index()
    top = top[top["channel"] != "unknown"].sort_values(["segment_id", "n", "channel"], ascending=[True, False, True])
    out["top_channel"] = top.drop_duplicates("segment_id").set_index("segment_id")["channel"]
    # What the features found in the data, so a missing signal shows at once (0 complaints: check the mapping).
    out["interactions"] = g["interactions"].sum()
    out["complaints"] = g["complaints"].sum()
    out["surveys"] = g["surveys"].sum()
    out["customers_with_channel"] = g["channel"].agg(lambda c: int((c != "unknown").sum()))
    out["customers_with_preferences"] = g["preferred_categories"].agg(lambda c: int(c.notna().sum()))
    for column in ("preferred_categories", "preferred_brands"):
        out[f"top_{column.removeprefix('preferred_')}"] = _top_mentions(f, column)
    return out.reset_index()


def _top_mentions(f: pd.DataFrame, column: str, top: int = 3) -> pd.Series:
    """Per segment, the values its customers list most often in ``column`` (comma-separated), most first."""
    items = f[["segment_id", column]].dropna()
    items = items.assign(value=items[column].str.split(r"\s*,\s*")).explode("value")
    items = items[items["value"].fillna("") != ""]
    if items.empty:
        return pd.Series(dtype="object")
    counts = items.groupby(["segment_id", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["segment_id", "n", "value"], ascending=[True, False, True])
    return counts.groupby("segment_id").head(top).groupby("segment_id")["value"].agg(", ".join)


def data_signals(features: pd.DataFrame, interactions: pd.DataFrame) -> tuple[dict[str, int], list[str]]:
    """What the night's features found in the company's data (journal entries, complaints, surveys, channels,
    preferences), and a warning for each signal that is missing although its carrier is there."""
    entries = len(interactions)
    found = {
        "journal_entries": entries,
        "complaints": int(features["complaints"].sum()),
        "surveys": int(features["surveys"].sum()),
        "customers": len(features),
        "customers_with_channel": int((features["channel"] != "unknown").sum()),
        "customers_with_known_channel": int((~features["channel"].isin(["unknown", "other"])).sum()),
        "customers_with_preferences": int(
            (features["preferred_categories"].notna() | features["preferred_brands"].notna()).sum()
        ),
    }
    warnings = []
    if entries and not found["complaints"]:
        warnings.append(
            f"{entries:,} journal entries but not one complaint recognised: most likely a mapping problem. Map the "
            "column that says it (a complaint yes/no, the type or topic of an entry as interaction_type, its tags "
            "as tags) in sources.yml, or add the company's word for a complaint to vocabulary.yml."
        )
    if found["customers_with_channel"] and not found["customers_with_known_channel"]:
        warnings.append(
            f"{found['customers_with_channel']:,} customers have an acquisition channel written, but none of them "
            "names a known channel: add the company's words to the channels of vocabulary.yml."
        )
    return found, warnings


def _channels(features: pd.DataFrame, seg: pd.Series) -> pd.DataFrame:
    f = features.assign(segment_id=seg.to_numpy())
    counts = f.groupby(["segment_id", "channel"]).size().rename("customers").reset_index()
    counts["share"] = counts["customers"] / counts.groupby("segment_id")["customers"].transform("sum")
    return counts


def _movements(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    cols = list(columns_except("marts.segment_movement", RUN_STAMP))
    if before is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    prev = before.rename(columns={"segment_id": "from_segment_id", "segment_name": "from_segment_name"})
    cur = now.rename(columns={"segment_id": "to_segment_id", "segment_name": "to_segment_name"})
    both = prev[["customer_id", "from_segment_id", "from_segment_name"]].merge(
        cur[["customer_id", "to_segment_id", "to_segment_name"]], on="customer_id", how="outer"
    )
    both["movement"] = np.select(
        [both["from_segment_id"].isna(), both["to_segment_id"].isna()], ["joined", "left"], "moved"
    )
    changed = both["from_segment_id"].astype("Int64") != both["to_segment_id"].astype("Int64")
    moved = both[changed.fillna(True).astype(bool)].copy()
    for c in ("from_segment_id", "to_segment_id"):
        moved[c] = moved[c].astype("Int64")
    return moved[cols].reset_index(drop=True)


def _last_score(previous: PreviousNight | None, settings: ModelSettings, customers: int) -> float | None:
    """Last night's criterion value, as tonight's fit is compared with it: the BIC, which grows with the number
    of customers, scaled to tonight's; None when last night did not record one, or for stability.

    Stability says how reproducible k segments are on random samples, not how well last night's segments fit
    tonight's customers, and it moves with its samples: at a million customers the same six segments scored
    0.953 one night and 0.903 the next with 2% of one file changed. Compared night to night it would choose k
    again on noise; the schedule chooses it again instead.
    """
    score = previous.recorded("criterion_value") if previous is not None else None
    if score is None or pd.isna(score) or settings.criterion == "stability":
        return None
    if settings.criterion == "bic" and previous is not None and "customers" in previous.profiles.columns:
        return float(score) * customers / max(int(previous.profiles["customers"].sum()), 1)
    return float(score)


def segment_customers(
    features: pd.DataFrame,
    settings: SegmentSettings,
    previous: PreviousNight | None,
    *,
    as_of: dt.date,
    run_id: str,
    base_currency: str,
    choose_k: bool = False,
) -> SegmentResult:
    """Tonight's segment of every customer of ``features``, with ids and names carried over from last night.

    ``choose_k``: try every k of the range tonight whatever the schedule says (``crm-etl run --full``).
    """
    prev_centres = previous.centres() if previous is not None and len(previous.profiles) else None
    choose, why = k_choice(previous, settings.model, as_of, asked_full=choose_k)
    fit = fit_segments(
        features,
        settings.model,
        prev_centres,
        choose_k=choose,
        previous_score=_last_score(previous, settings.model, len(features)),
    )
    if fit.k_chosen:
        chosen_on = as_of
    else:
        chosen_on = pd.Timestamp(previous.recorded("k_chosen_on")).date() if previous is not None else as_of
    old_z = to_model_space(fit.preprocessor, prev_centres) if prev_centres is not None else None
    old_ids = [int(i) for i in previous.profiles["segment_id"]] if previous is not None else []
    ids = match_segments(fit.centres_z, old_z, old_ids, max_distance=settings.model.max_match_distance)
    seg = pd.Series(np.asarray(ids)[fit.labels], index=features.index, name="segment_id")

    fresh = name_segments(features, seg, settings.naming)
    kept = (
        dict(zip(previous.profiles["segment_id"].astype(int), previous.profiles["segment_name"], strict=True))
        if previous is not None
        else {}
    )
    names = {sid: kept.get(sid, fresh[sid]) for sid in fresh}
    used = pd.Series(list(names.values()))
    if used.duplicated().any():  # a new segment described like a kept one: tell them apart by id
        names = {sid: (f"{n} ({sid})" if (used == n).sum() > 1 and sid not in kept else n) for sid, n in names.items()}

    stamp: dict[str, Any] = {"as_of": as_of, "run_id": run_id}
    assignments = pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy(),
            "segment_id": seg.astype("int64").to_numpy(),
            "segment_name": seg.map(names).to_numpy(),
            "assigned_at": pd.Timestamp(as_of),
        }
    ).assign(**stamp)

    profiles = _profiles(features, seg, base_currency)
    profiles["segment_name"] = profiles["segment_id"].map(names)
    centre_of = dict(zip(ids, fit.centres.to_dict(orient="records"), strict=True))
    profiles["centre_json"] = profiles["segment_id"].map(lambda sid: json.dumps(centre_of[sid], sort_keys=True))
    profiles["is_new"] = ~profiles["segment_id"].isin(kept)
    profiles["k"] = fit.k
    profiles["criterion"] = fit.criterion
    profiles["criterion_value"] = fit.score
    profiles["k_chosen_on"] = chosen_on
    profiles["model_key"] = model_key(settings.model)
    profiles = profiles.assign(**stamp)

    channels = _channels(features, seg)
    channels["segment_name"] = channels["segment_id"].map(names)
    channels = channels.assign(**stamp)

    movements = _movements(assignments, previous.assignments if previous is not None else None).assign(**stamp)
    summary = {
        "customers": len(features),
        "k": fit.k,
        "criterion": fit.criterion,
        "scores": {str(k): round(v, 4) for k, v in fit.scores.items()},
        "warm_started": fit.warm_started,
        "k_chosen_tonight": fit.k_chosen,
        "k_chosen_on": chosen_on.isoformat(),
        "k_choice": why if fit.k_chosen == choose else "k chosen again: " + "; ".join(fit.notes),
        "segments": {str(sid): names[sid] for sid in sorted(names)},
        "new_segments": [int(s) for s in profiles.loc[profiles["is_new"], "segment_id"]],
        "movements": movements["movement"].value_counts().to_dict() if len(movements) else {},
        "notes": fit.notes,
    }
    return SegmentResult(assignments, profiles, channels, movements, summary)
