"""The review queue: tonight's doubtful pairs grouped by the customers they would join or split, and each pair as a
steward reads it (fields side by side, differences, comparisons in words, a waterfall of the evidence).

A group is a set of customers linked by doubtful pairs: deciding any of its pairs may join two of them ("match"
across customers) or split one ("not a match" inside a customer). Its stakes are the records of those customers
(how many records a decision may move); the groups with most at stake come first, and within a group the most
probable pairs first.

The comparison levels of each pair and the fitted model's weights come from the night's run folder
(the run catalog's ``link.review_levels`` and ``link.model``); without the folder the queue still
shows the pairs, their probability and weight, without the waterfall.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.console.phrases import level_phrase
from transforms.linkage.model import FittedModel

#: Fields shown side by side (staging.contact columns), with their labels, in reading order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("full_name", "name as written"),
    ("name_latin", "name in Latin letters"),
    ("patronymic", "patronymic"),
    ("date_of_birth", "date of birth"),
    ("phone_e164", "phone"),
    ("email", "e-mail"),
    ("street", "street"),
    ("postcode", "postcode"),
    ("city", "city"),
    ("country", "country"),
    ("tax_id", "tax id"),
    ("company", "company"),
    ("customer_code", "customer code"),
)


@dataclass(frozen=True)
class NightModel:
    """The night's fitted model and each pair's comparison levels (from the run folder)."""

    model: FittedModel
    levels: dict[tuple[str, str], dict[str, int]]


@dataclass
class Queue:
    """Tonight's pairs in review order; ``groups`` holds the positions of each group's pairs."""

    run_id: str | None
    as_of: Any
    pairs: list[dict[str, Any]]
    groups: list[list[int]] = field(default_factory=list)
    night: NightModel | None = None
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def position(self, key: str) -> int | None:
        if len(self._positions) != len(self.pairs):
            self._positions = {p["key"]: i for i, p in enumerate(self.pairs)}
        return self._positions.get(key)


def pair_key(record_id_l: str, record_id_r: str) -> str:
    return f"{record_id_l}~{record_id_r}"


def decision_key(pair: dict[str, Any]) -> tuple[str, str]:
    """The pair's key in core.match_decision: its two fingerprints, the smaller first."""
    a, b = pair["fingerprint_l"], pair["fingerprint_r"]
    return (a, b) if a <= b else (b, a)


def build_queue(pairs: list[dict[str, Any]], night: NightModel | None = None) -> Queue:
    """Group the pairs by the customers they touch (union of customers), most at stake first."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[find(p["customer_id_l"])] = find(p["customer_id_r"])
    members: dict[str, dict[str, int]] = {}
    for p in pairs:
        sizes = members.setdefault(find(p["customer_id_l"]), {})
        sizes[p["customer_id_l"]] = int(p["records_l"])
        sizes[p["customer_id_r"]] = int(p["records_r"])
    by_root: dict[str, list[dict[str, Any]]] = {}
    for p in pairs:
        by_root.setdefault(find(p["customer_id_l"]), []).append(p)
    ordered_roots = sorted(
        by_root,
        key=lambda r: (
            -sum(members[r].values()),
            -len(by_root[r]),
            -max(p["match_probability"] for p in by_root[r]),
            r,
        ),
    )
    out: list[dict[str, Any]] = []
    groups: list[list[int]] = []
    for number, root in enumerate(ordered_roots, start=1):
        group = sorted(by_root[root], key=lambda p: (-p["match_probability"], p["record_id_l"], p["record_id_r"]))
        positions = []
        for p in group:
            joins = p["customer_id_l"] != p["customer_id_r"]
            positions.append(len(out))
            out.append(
                {
                    **p,
                    "key": pair_key(p["record_id_l"], p["record_id_r"]),
                    "group": number,
                    "group_customers": sorted(members[root]),
                    "group_records": sum(members[root].values()),
                    "stake": (
                        f"a match joins {p['customer_id_l']} and {p['customer_id_r']}"
                        if joins
                        else f"not a match splits {p['customer_id_l']}"
                    ),
                }
            )
        groups.append(positions)
    run_id = pairs[0]["run_id"] if pairs else None
    as_of = pairs[0]["as_of"] if pairs else None
    return Queue(run_id, as_of, out, groups, night)


def load_night_model(data_dir: Path | None, run_id: str | None) -> NightModel | None:
    """The night's model and pair levels from its run folder, or None when the folder is not at hand."""
    if data_dir is None or run_id is None:
        return None
    from transforms.pipeline.catalog import RunCatalog

    run = RunCatalog.of_run(data_dir, run_id)
    if not run.path("link.model").is_file() or not run.path("link.review_levels").is_file():
        return None
    model = FittedModel.from_dict(json.loads(run.path("link.model").read_text("utf-8")))
    frame = pd.read_parquet(run.path("link.review_levels"))
    cmp_columns = [c for c in frame.columns if c.startswith("cmp_")]
    levels = {
        (str(r["record_id_l"]), str(r["record_id_r"])): {c.removeprefix("cmp_"): int(r[c]) for c in cmp_columns}
        for r in frame[["record_id_l", "record_id_r", *cmp_columns]].to_dict("records")
    }
    return NightModel(model, levels)


def comparisons(pair: dict[str, Any], night: NightModel | None) -> list[dict[str, Any]]:
    """Each comparison of the pair in words, with the weight it added (bits), strongest first."""
    if night is None:
        return []
    levels = night.levels.get((pair["record_id_l"], pair["record_id_r"]))
    if levels is None:
        return []
    out = []
    for c in night.model.comparisons:
        level = levels.get(c.name, -1)
        label = c.labels[level] if 0 <= level < len(c.labels) else "missing"
        weight = float(c.weights()[level]) if level >= 0 and c.in_model else 0.0
        out.append(
            {
                "name": c.name,
                "phrase": level_phrase(c.name, label),
                "level": level,
                "weight": weight,
                "in_model": c.in_model,
                "agrees": level > 0,
                "missing": level < 0,
            }
        )
    return sorted(out, key=lambda x: (x["missing"] or not x["in_model"], -abs(x["weight"])))


def waterfall(pair: dict[str, Any], night: NightModel | None) -> list[dict[str, Any]]:
    """Bars from the prior odds, through each comparison's weight, to the pair's match weight (in bits).

    What the comparisons' level weights do not account for is the rarity of agreeing values (term frequencies:
    a rare surname counts for more than a common one); it is its own bar so the bars add up to the pair's weight.
    """
    if night is None:
        return []
    steps = [c for c in comparisons(pair, night) if c["in_model"] and not c["missing"]]
    prior = math.log2(night.model.prior / (1 - night.model.prior))
    bars: list[dict[str, Any]] = [{"label": "before any evidence (prior)", "delta": prior, "kind": "start"}]
    bars += [{"label": c["phrase"], "delta": c["weight"], "kind": "step"} for c in steps]
    rest = float(pair["match_weight"]) - sum(c["weight"] for c in steps)
    if abs(rest) >= 0.05:
        bars.append({"label": "how rare the agreeing values are", "delta": rest, "kind": "step"})
    running = 0.0
    for bar in bars:
        bar["start"], running = running, running + bar["delta"]
        bar["end"] = running
    bars.append(
        {"label": "match weight with the prior", "delta": running, "kind": "total", "start": 0.0, "end": running}
    )
    low = min(min(b["start"], b["end"]) for b in bars)
    high = max(max(b["start"], b["end"]) for b in bars)
    span = (high - low) or 1.0
    for bar in bars:
        left, right = sorted((bar["start"], bar["end"]))
        bar["left_pct"] = round(100 * (left - low) / span, 2)
        bar["width_pct"] = max(0.5, round(100 * (right - left) / span, 2))
    return bars


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def side_by_side(left: dict[str, Any], right: dict[str, Any]) -> list[dict[str, Any]]:
    """The shown fields of both records, each marked when the two differ (both written, not equal)."""
    out = []
    for name, label in FIELDS:
        if name == "name_latin":
            a = " ".join(x for x in (_clean(left.get("given_name_latin")), _clean(left.get("surname_latin"))) if x)
            b = " ".join(x for x in (_clean(right.get("given_name_latin")), _clean(right.get("surname_latin"))) if x)
        elif name == "full_name":
            a = _clean(left.get("full_name")) or " ".join(
                x for x in (_clean(left.get("given_name")), _clean(left.get("surname"))) if x
            )
            b = _clean(right.get("full_name")) or " ".join(
                x for x in (_clean(right.get("given_name")), _clean(right.get("surname"))) if x
            )
        else:
            a, b = _clean(left.get(name)), _clean(right.get(name))
        if not a and not b:
            continue
        out.append(
            {
                "label": label,
                "a": a,
                "b": b,
                "differs": bool(a and b and a.casefold() != b.casefold()),
                "one_sided": bool(a) != bool(b),
            }
        )
    return out
