"""On-entry duplicate check: which existing customers a new record probably is, scored by the nightly model.

A form (or a script) sends one record before it is saved. Comparing it with a million staged contacts would take
seconds, so the nightly base is kept as a ``MatchIndex``: every record prepared once (its match keys as integer
codes into per-column value lists), each blocking pass's keys as sorted 64-bit hashes with the positions holding
them, the customer id of every record, the fitted model and the linkage settings. Matching one record is then:
standardize it with the night's own standardizers, prepare it like the base, look up the same blocking passes
(skipping a key the night would have skipped as too common), compare with the same comparison code and score
with the same model, term-frequency adjustments included. The new record is treated as if it were appended to
the night's records, so a pair scores exactly as it would have scored that night.

The index is Parquet plus JSON (no pickle): ``records.parquet`` (record id, customer code and one code column per
key), ``values.parquet`` (the distinct values behind the codes), ``blocking.parquet`` (pass, key hash, position),
``model.json`` and ``index.json`` (settings, reading defaults, offsets). Loading a million records takes seconds
and a few hundred MB, because nothing is turned into Python objects until a record's few candidates are read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.extract.cells import cell_text
from transforms.lineage import LINEAGE_COLUMNS
from transforms.linkage.compare import compare_frames, compared_columns
from transforms.linkage.model import FittedModel, match_weights, probability
from transforms.linkage.nicknames import nickname_label, nickname_table
from transforms.linkage.prepare import ID, LINKABLE, SOURCE, _chain, prepare_records
from transforms.linkage.settings import BlockingPass, LinkageSettings, load_linkage_settings
from transforms.pipeline.catalog import RunCatalog
from transforms.settings.errors import SettingsError
from transforms.settings.sources import CUSTOMER_FIELDS, Defaults
from transforms.standardize.records import ReadingRules, standardize_contacts
from transforms.standardize.sentinels import SentinelRegistry, load_sentinels

log = logging.getLogger(__name__)

#: Version of the saved layout; an index written by another version is rebuilt, not misread.
FORMAT_VERSION = 1
#: Source name of a record sent for matching (it belongs to no declared source).
FORM_SOURCE = "form"
#: Record id of a record sent for matching (no base record has it).
NEW_RECORD_ID = "<new record>"
#: Fields a form may send besides the customer fields: hints on how to read the values.
HINT_FIELDS = ("phone_region",)
#: Customer fields that say nothing about who the person is (accepted, not used).
_ACCEPTED_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "responsible")
_SEP = "\x1f"
DateOrder = Literal["DMY", "MDY", "YMD"]
_ISO2 = re.compile(r"^[A-Za-z]{2}$")
_FILES = ("records.parquet", "values.parquet", "blocking.parquet", "model.json", "index.json")


class RecordInputError(ValueError):
    """The record cannot be matched as given; the message names the field."""


@dataclass(frozen=True)
class ReadingDefaults:
    """How a form's values are read when the record gives no hint: the sources file's defaults."""

    phone_region: str = "PL"
    date_order: DateOrder = "DMY"
    country: str | None = None
    sentinels: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_sources(cls, sources_file: Path | str | None) -> ReadingDefaults:
        """The defaults of a sources file, or the bundled ones when there is none (or it cannot be read)."""
        d = Defaults()
        if sources_file is not None and Path(sources_file).is_file():
            from transforms.settings import load_sources

            try:
                d = load_sources(sources_file).defaults
            except Exception as exc:  # any unreadable file: fall back to the bundled defaults, and say so
                log.warning("match index: cannot read %s (%s); bundled reading defaults used", sources_file, exc)
        return cls(
            phone_region=d.phone_region,
            date_order=d.date_order,
            country=d.country,
            sentinels={k: list(v) for k, v in d.sentinels.items()},
        )


@dataclass
class MatchResult:
    """The customers a record probably duplicates (best first), and what the check saw on the way."""

    matches: list[dict[str, Any]]
    candidates: int
    linkable: bool
    issues: list[dict[str, str]]
    skipped_passes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "candidates": self.candidates,
            "linkable": self.linkable,
            "issues": self.issues,
            "skipped_passes": self.skipped_passes,
        }


# ------------------------------------------------------------------------------------------- the record's input


def record_fields(record: object) -> tuple[dict[str, str], str | None, str | None]:
    """The customer fields of a form record as text, its phone region hint and its country (both upper-case).

    Raises ``RecordInputError`` naming the field when the record is not an object, a field is unknown, a value
    is not a plain value (text, number, true/false), or a hint is not a two-letter country code.
    """
    if not isinstance(record, Mapping):
        raise RecordInputError("expected one record: a JSON object of field names and values")
    fields: dict[str, str] = {}
    unknown = []
    for key, value in record.items():
        name = str(key)
        if name == "attributes" or name.startswith("attributes."):
            continue  # extra attributes are kept by the source, never compared
        if name not in _ACCEPTED_FIELDS and name not in HINT_FIELDS:
            unknown.append(name)
            continue
        if isinstance(value, (list, dict)):
            raise RecordInputError(f"field {name!r}: expected a single value (text or number), not a list or object")
        text = cell_text(value)
        if text is not None:
            fields[name] = text
    if unknown:
        raise RecordInputError(
            f"unknown field(s): {', '.join(sorted(unknown))}; use {', '.join(_ACCEPTED_FIELDS)} or phone_region"
        )
    region = fields.pop("phone_region", None)
    if region is not None and not _ISO2.match(region):
        raise RecordInputError(f"field 'phone_region': expected a two-letter country code such as PL, got {region!r}")
    country = fields.get("country")
    if not any(k in fields for k in ("given_name", "surname", "full_name", "company")):
        raise RecordInputError("the record has no name: give surname and given_name, or full_name, or company")
    return (
        fields,
        region.upper() if region else None,
        country.upper() if country and _ISO2.match(country) else None,
    )


def _raw_frame(fields: dict[str, str]) -> pd.DataFrame:
    """The one-row extract a night would have staged for this record (a spreadsheet row of the form source)."""
    row: dict[str, Any] = dict.fromkeys((*LINEAGE_COLUMNS, *_ACCEPTED_FIELDS, "attributes"))
    row.update(
        source_name=FORM_SOURCE,
        source_kind="spreadsheet",
        source_file=f"<{FORM_SOURCE}>",
        sheet="",
        row_number=1,
        physical_row=1,
        responsible="",
    )
    row.update(fields)
    return pd.DataFrame([row])


def _scalar_text(v: object) -> str | None:
    """One cell as ``prepare.as_text`` writes it: dates as YYYY-MM-DD, whole floats without '.0', None if blank."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        if np.isnan(v):
            return None
        text = str(round(v)) if v == round(v) else str(v)
    elif isinstance(v, (pd.Timestamp, dt.datetime)):
        text = v.strftime("%Y-%m-%d")
    elif hasattr(v, "isoformat"):
        text = str(v.isoformat())[:10]
    else:
        text = str(v).strip()
    return text if text.strip() else None


def _is_false(v: object) -> bool:
    """Whether a flag cell is False (``only_if``); missing or unreadable flags are not False."""
    if isinstance(v, (bool, np.bool_)):
        return not bool(v)
    if isinstance(v, str):
        return v.strip().lower() in ("false", "0")
    if isinstance(v, (int, float, np.integer, np.floating)) and not (isinstance(v, float) and np.isnan(v)):
        return v == 0
    return False


def prepare_one(contact: Mapping[str, Any], settings: LinkageSettings) -> dict[str, Any]:
    """One staged contact prepared exactly as ``prepare_records`` prepares a row of a frame (the same step
    functions on the same values), without a frame: on entry the pandas overhead of a one-row frame would cost
    more than the whole lookup. A test holds it equal to ``prepare_records`` on every record of a sample run."""
    missing = [c for c in settings.input_columns if c not in contact]
    if missing:
        raise SettingsError(f"linkage settings: the records have no column {', '.join(map(repr, missing))}")
    out: dict[str, Any] = {ID: str(contact[settings.id_column])}
    out[SOURCE] = (_scalar_text(contact[settings.source_column]) or "") if settings.source_column else ""
    for col in settings.input_columns:
        if col == settings.id_column or col in out:
            continue
        out[col] = _scalar_text(contact[col])
    table = nickname_table(tuple(tuple(g) for g in settings.nicknames))
    for name, spec in settings.derived.items():
        sources = [out[c] if c in out else _scalar_text(contact[c]) for c in spec.source]
        value: str | None
        if spec.steps == ["nicknames"]:
            value = nickname_label(tuple(sources), table)
        else:
            present = [str(v) for v in sources if v is not None]
            value = _chain([s for s in spec.steps if s != "nicknames"])(" ".join(present) if present else None)
        if spec.only_if and _is_false(contact[spec.only_if]):
            value = None
        out[name] = value
    rule = settings.identifiable
    linkable = True
    if rule.names:
        linkable &= any(out.get(c) is not None for c in rule.names)
    if rule.evidence:
        linkable &= any(out.get(c) is not None for c in rule.evidence)
    out[LINKABLE] = linkable
    return out


# ----------------------------------------------------------------------------------------------- the index


def _key_hashes(parts: list[np.ndarray]) -> np.ndarray:
    """64-bit hashes of the joined key values (the same function for the base and for a new record)."""
    joined = parts[0].astype(object)
    for p in parts[1:]:
        joined = joined + _SEP + p.astype(object)
    hashed: np.ndarray = pd.util.hash_array(joined, categorize=False)
    return hashed


def _stored_columns(settings: LinkageSettings) -> list[str]:
    """The prepared columns matching reads: what the comparisons read and every blocking key."""
    keys = [k for p in settings.blocking.passes for k in p.keys]
    return list(dict.fromkeys([*compared_columns(settings), *keys]))


@dataclass
class MatchIndex:
    """The nightly base ready for on-entry matching (see the module docstring)."""

    settings: LinkageSettings
    model: FittedModel
    reading: ReadingDefaults
    record_ids: pa.Array
    sources: np.ndarray
    source_values: pa.Array
    customers: np.ndarray
    customer_values: pa.Array
    codes: dict[str, np.ndarray]
    values: dict[str, pa.Array]
    #: Per blocking pass: sorted key hashes and the positions holding each.
    blocks: dict[str, tuple[np.ndarray, np.ndarray]]
    meta: dict[str, Any] = field(default_factory=dict)
    _sentinel_registry: SentinelRegistry | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.model = _with_fast_tf_lookup(self.model)

    def __len__(self) -> int:
        return len(self.customers)

    # -------------------------------------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        source: Path | str | tuple[pd.DataFrame, pd.DataFrame, FittedModel, LinkageSettings],
        *,
        reading: ReadingDefaults | None = None,
        run_id: str | None = None,
        prepared: pd.DataFrame | None = None,
    ) -> MatchIndex:
        """The index of a run folder (its staged contacts, record links and model), or of
        ``(contacts, links, model, settings)``: staged contact rows, record_id -> customer_id, the fitted model
        and the settings it was fitted with. ``prepared``: the contacts already prepared with those settings."""
        if isinstance(source, (str, Path)):
            return cls._from_run(Path(source), prepared=prepared)
        contacts, links, model, settings = source
        if prepared is None:
            prepared = prepare_records(contacts, settings)
        customer_of = links.drop_duplicates("record_id").set_index("record_id")["customer_id"]
        customer = prepared[ID].map(customer_of)
        known = customer.notna().to_numpy()
        if not known.all():
            log.warning("match index: %d records have no customer id and are left out", int((~known).sum()))
            prepared = prepared[known].reset_index(drop=True)
            customer = customer[known].reset_index(drop=True)
        codes: dict[str, np.ndarray] = {}
        values: dict[str, pa.Array] = {}
        for col in _stored_columns(settings):
            codes[col], values[col] = _encode(prepared[col])
        sources, source_values = _encode(prepared[SOURCE])
        customers, customer_values = _encode(customer)
        linkable = prepared[LINKABLE].to_numpy(dtype=bool)
        blocks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for spec in settings.blocking.passes:
            usable = linkable & prepared[spec.keys].notna().all(axis=1).to_numpy()
            pos = np.flatnonzero(usable).astype(np.int32)
            hashes = _key_hashes([prepared[k].to_numpy(dtype=object)[pos] for k in spec.keys])
            order = np.argsort(hashes, kind="stable")
            blocks[spec.name] = (hashes[order], pos[order])
        meta = {
            "format": FORMAT_VERSION,
            "run_id": run_id,
            "records": len(prepared),
            "customers": len(customer_values),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        log.info("match index: %d records of %d customers", len(prepared), len(customer_values))
        return cls(
            settings=settings,
            model=model,
            reading=reading or ReadingDefaults(),
            record_ids=pa.array(prepared[ID].to_numpy(dtype=object), type=pa.string()),
            sources=sources,
            source_values=source_values,
            customers=customers,
            customer_values=customer_values,
            codes=codes,
            values=values,
            blocks=blocks,
            meta=meta,
        )

    @classmethod
    def _from_run(cls, run_dir: Path, *, prepared: pd.DataFrame | None = None) -> MatchIndex:
        contacts, links, model, settings, reading, run_id = read_run_files(run_dir)
        return cls.build((contacts, links, model, settings), reading=reading, run_id=run_id, prepared=prepared)

    # --------------------------------------------------------------------------------------- saving, loading

    def save(self, folder: Path | str) -> Path:
        """Write the index into ``folder`` (replacing an index already there)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        columns = list(self.codes)
        records = {
            "record_id": self.record_ids,
            "_source": pa.array(self.sources),
            "_customer": pa.array(self.customers),
            **{f"code:{c}": pa.array(self.codes[c]) for c in columns},
        }
        pq.write_table(pa.table(records), out / "records.parquet")
        named = [("_source", self.source_values), ("_customer", self.customer_values)]
        named += [(c, self.values[c]) for c in columns]
        vocab = pa.table(
            {
                "column": pa.array([n for n, v in named for _ in range(len(v))], type=pa.string()),
                "value": pa.chunked_array([c for _, v in named for c in _string_chunks(v)], type=pa.string()),
            }
        )
        pq.write_table(vocab, out / "values.parquet")
        passes = list(self.blocks)
        block_table = pa.table(
            {
                "pass": pa.array(
                    np.concatenate([np.full(len(self.blocks[p][0]), i, np.int16) for i, p in enumerate(passes)])
                ),
                "key_hash": pa.array(np.concatenate([self.blocks[p][0] for p in passes])),
                "position": pa.array(np.concatenate([self.blocks[p][1] for p in passes])),
            }
        )
        pq.write_table(block_table, out / "blocking.parquet")
        (out / "model.json").write_text(json.dumps(self.model.to_dict(), indent=2), "utf-8")
        index = {
            **self.meta,
            "format": FORMAT_VERSION,
            "columns": columns,
            "value_counts": {n: len(v) for n, v in named},
            "passes": {p: len(self.blocks[p][0]) for p in passes},
            "reading": {
                "phone_region": self.reading.phone_region,
                "date_order": self.reading.date_order,
                "country": self.reading.country,
                "sentinels": self.reading.sentinels,
            },
            "settings": self.settings.model_dump(mode="json", by_alias=True),
        }
        (out / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False), "utf-8")
        return out

    @classmethod
    def load(cls, folder: Path | str) -> MatchIndex:
        """Read an index written by ``save``."""
        src = Path(folder)
        missing = [f for f in _FILES if not (src / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{src}: not a match index (missing {', '.join(missing)})")
        index = json.loads((src / "index.json").read_text("utf-8"))
        if index.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{src}: match index format {index.get('format')!r}, expected {FORMAT_VERSION}; rebuild it"
            )
        settings = LinkageSettings.model_validate(index["settings"])
        model = FittedModel.from_dict(json.loads((src / "model.json").read_text("utf-8")))
        r = index["reading"]
        order: DateOrder = r["date_order"]
        reading = ReadingDefaults(r["phone_region"], order, r["country"], dict(r["sentinels"]))
        records = pq.read_table(src / "records.parquet")
        # Kept in pieces: the vocabulary of a large company holds more than the 2 GB of text one array can.
        vocab = pq.read_table(src / "values.parquet", columns=["value"])["value"]
        values: dict[str, pa.Array] = {}
        start = 0
        for name, count in index["value_counts"].items():
            values[name] = vocab.slice(start, count).combine_chunks()
            start += count
        columns: list[str] = index["columns"]
        blocks_table = pq.read_table(src / "blocking.parquet")
        hashes = blocks_table["key_hash"].to_numpy()
        positions = blocks_table["position"].to_numpy()
        blocks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        start = 0
        for name, count in index["passes"].items():
            blocks[name] = (hashes[start : start + count], positions[start : start + count])
            start += count
        meta = {k: index[k] for k in ("run_id", "records", "customers", "built_at") if k in index}
        return cls(
            settings=settings,
            model=model,
            reading=reading,
            record_ids=records["record_id"].combine_chunks(),
            sources=records["_source"].to_numpy(),
            source_values=values.pop("_source"),
            customers=records["_customer"].to_numpy(),
            customer_values=values.pop("_customer"),
            codes={c: records[f"code:{c}"].to_numpy() for c in columns},
            values=values,
            blocks=blocks,
            meta=meta,
        )

    # -------------------------------------------------------------------------------------------- matching

    def prepare(self, record: object, *, as_of: dt.date | None = None) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """A form record standardized like a staged row (``standardize_contacts``) and prepared like the base,
        and the values it could not use (field and reason, never the value)."""
        fields, region, country = record_fields(record)
        rules = ReadingRules(
            phone_region=region or self.reading.phone_region,
            date_order=self.reading.date_order,
            country=country or self.reading.country,
            as_of=as_of or dt.date.today(),
        )
        contacts, issues = standardize_contacts(_raw_frame(fields), rules=rules, sentinels=self._sentinels())
        contact = {str(k): v for k, v in contacts.to_dict("records")[0].items()}
        contact[self.settings.id_column] = NEW_RECORD_ID
        found = [{"field": str(f), "issue": str(i)} for f, i in zip(issues["field"], issues["issue"], strict=True)]
        return prepare_one(contact, self.settings), found

    def match(self, record: object, limit: int = 5, *, floor: float | None = None) -> list[dict[str, Any]]:
        """The customers a form record probably duplicates, best first (see ``match_record``)."""
        return self.match_record(record, limit, floor=floor).matches

    def match_record(
        self, record: object, limit: int = 5, *, floor: float | None = None, as_of: dt.date | None = None
    ) -> MatchResult:
        """The customers whose best record pairs with this record at ``floor`` or above (default: the settings'
        review threshold), best first, at most ``limit``; with the count of candidates and unusable values."""
        prepared, issues = self.prepare(record, as_of=as_of)
        result = self.match_prepared(prepared, limit, floor=floor)
        result.issues = issues
        return result

    def match_staged(self, contact: Mapping[str, Any], limit: int = 5, *, floor: float | None = None) -> MatchResult:
        """Match one staged contact (already standardized: a row of staging.contact as a mapping); a base record
        with the same record id is left out, so a record of the base finds its customer through the others."""
        return self.match_prepared(prepare_one(contact, self.settings), limit, floor=floor)

    def match_prepared(self, row: Mapping[str, Any], limit: int = 5, *, floor: float | None = None) -> MatchResult:
        """Match one prepared record (``prepare_one`` with these settings)."""
        low = self.settings.thresholds.review_lower if floor is None else floor
        if not bool(row[LINKABLE]):
            return MatchResult([], 0, False, [], [])
        pairs, skipped = self.score_pairs(row)
        return MatchResult(self._group(pairs, low, limit), len(pairs), True, [], skipped)

    def candidates(self, row: Mapping[str, Any]) -> tuple[np.ndarray, list[str]]:
        """Positions sharing a blocking key with the prepared record, and the passes whose key the night would
        have skipped as too common (its block, this record included, larger than the pass's cap)."""
        if not bool(row[LINKABLE]):
            return np.empty(0, np.int64), []
        found: list[np.ndarray] = []
        skipped: list[str] = []
        for spec in self.settings.blocking.passes:
            keys = [row[k] for k in spec.keys]
            if any(k is None for k in keys):
                continue
            hashes, positions = self.blocks[spec.name]
            h = _key_hashes([np.array([k], dtype=object) for k in keys])[0]
            lo, hi = np.searchsorted(hashes, h, "left"), np.searchsorted(hashes, h, "right")
            cap = spec.max_block_size or self.settings.blocking.max_block_size
            if hi - lo + 1 > cap and not (hi - lo == cap and self._holds(positions[lo:hi], str(row[ID]))):
                skipped.append(spec.name)
            elif hi > lo:
                found.append(positions[lo:hi])
        pos = np.unique(np.concatenate(found)).astype(np.int64) if found else np.empty(0, np.int64)
        if len(pos) and self.settings.link_type != "dedupe_and_link" and self.settings.source_column:
            same = self._texts(self.source_values, self.sources[pos]) == str(row[SOURCE])
            pos = pos[same] if self.settings.link_type == "dedupe_only" else pos[~same]
        return pos, skipped

    def score_pairs(self, row: Mapping[str, Any]) -> tuple[pd.DataFrame, list[str]]:
        """Every candidate pair of the prepared record: record_id, customer_id, match_weight, match_probability
        and the ``cmp_`` levels, scored as the night would score the pair had the record come last (the base
        record on the left, the new one on the right)."""
        pos, skipped = self.candidates(row)
        columns = list(self.codes)
        base = self._frame(pos, columns)
        ids = self._texts(self.record_ids, pos)
        used = [p for p in self.settings.blocking.passes if p.name not in skipped]
        keep = (ids != str(row[ID])) & self._agrees_on_a_pass(base, row, used)  # drops a rare hash collision
        pos, base, ids = pos[keep], base[keep].reset_index(drop=True), ids[keep]
        if len(pos) == 0:  # nothing to compare: skip the comparison code's fixed cost
            levels = pd.DataFrame({f"cmp_{c.name}": np.empty(0, np.int8) for c in self.settings.comparisons})
        else:
            query = pd.DataFrame({c: np.full(len(pos), row[c], dtype=object) for c in columns})
            levels = compare_frames(self.settings, base, query)
        weights = match_weights(self.model, levels)
        pairs = pd.DataFrame(
            {
                "record_id": ids,
                "customer_id": self._texts(self.customer_values, self.customers[pos]),
                "match_weight": weights,
                "match_probability": probability(weights, self.model.prior),
            }
        )
        level_cols = [c for c in levels.columns if c.startswith("cmp_")]
        return pd.concat([pairs, levels[level_cols]], axis=1), skipped

    # ---------------------------------------------------------------------------------------------- helpers

    def _holds(self, positions: np.ndarray, record_id: str) -> bool:
        """Whether a base record already in this block is the record itself (it then does not add to the block)."""
        return bool((self._texts(self.record_ids, positions) == record_id).any())

    def _sentinels(self) -> SentinelRegistry:
        if self._sentinel_registry is None:
            self._sentinel_registry = load_sentinels(self.reading.sentinels or None)
        return self._sentinel_registry

    @staticmethod
    def _agrees_on_a_pass(base: pd.DataFrame, row: Mapping[str, Any], passes: list[BlockingPass]) -> np.ndarray:
        ok = np.zeros(len(base), dtype=bool)
        for spec in passes:
            hit = np.ones(len(base), dtype=bool)
            for k in spec.keys:
                hit &= base[k].to_numpy(dtype=object) == row[k]
            ok |= hit
        return ok

    @staticmethod
    def _texts(values: pa.Array, codes: np.ndarray) -> np.ndarray:
        out = np.full(len(codes), None, dtype=object)
        present = codes >= 0
        if present.any():
            out[present] = values.take(pa.array(codes[present])).to_numpy(zero_copy_only=False)
        return out

    def _frame(self, pos: np.ndarray, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame({c: self._texts(self.values[c], self.codes[c][pos]) for c in columns})

    def _group(self, pairs: pd.DataFrame, floor: float, limit: int) -> list[dict[str, Any]]:
        """Best pair per customer at or above the floor, best first."""
        good = pairs[pairs["match_probability"].to_numpy() >= floor]
        if good.empty:
            return []
        good = good.sort_values(["match_probability", "record_id"], ascending=[False, True], kind="stable")
        out = []
        for customer, group in good.groupby("customer_id", sort=False):
            best = group.iloc[0]
            out.append(
                {
                    "customer_id": str(customer),
                    "match_probability": round(float(best["match_probability"]), 6),
                    "match_weight": round(float(best["match_weight"]), 4),
                    "matched_record_ids": [str(r) for r in group["record_id"]],
                    "comparisons": self._levels(best),
                }
            )
            if len(out) >= limit:
                break
        return out

    def _levels(self, pair: pd.Series) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for c in self.model.comparisons:
            level = int(pair[f"cmp_{c.name}"])
            out[c.name] = {"level": level, "label": c.labels[level] if level >= 0 else "missing"}
        return out


class _TermFrequencies(dict[str, float]):
    """A term-frequency table that answers NaN for a value it does not hold.

    ``match_weights`` looks values up with ``Series.map(table)``; given a plain dict, pandas first turns the
    whole table (20,000 names) into a Series, which costs more than the rest of scoring one record. With
    ``__missing__`` pandas looks up only the values at hand; a value not in the table is NaN either way, so the
    weights are the same.
    """

    def __missing__(self, key: str) -> float:
        return float("nan")


def _with_fast_tf_lookup(model: FittedModel) -> FittedModel:
    """A copy of the model whose term-frequency tables are ``_TermFrequencies`` (the caller's model untouched)."""
    if all(isinstance(c.tf, _TermFrequencies) for c in model.comparisons):
        return model
    copy = FittedModel.from_dict(model.to_dict())
    for c in copy.comparisons:
        c.tf = _TermFrequencies(c.tf)
    return copy


def _encode(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Integer codes (-1 = missing) and the distinct values as a string array."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    return codes.astype(np.int32), pa.array(np.asarray(uniques, dtype=object).astype(str), type=pa.string())


# ------------------------------------------------------------------------------------------------ run folders


def read_run_files(
    run_dir: Path,
) -> tuple[pd.DataFrame, pd.DataFrame, FittedModel, LinkageSettings, ReadingDefaults, str | None]:
    """A run folder's staged contacts, record links, fitted model, linkage settings and reading defaults."""
    run = RunCatalog(run_dir)
    needed = [run.path("standardize.contact"), run.path("link.customer_source_record"), run.path("link.model")]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{run.root}: not a linked run (missing {', '.join(missing)})")
    about: dict[str, Any] = {}
    if run.path("run").is_file():
        about = json.loads(run.path("run").read_text("utf-8"))
    sources_file = about.get("sources")
    saved_settings = run.path("link.linkage_settings")
    if saved_settings.is_file():
        settings = LinkageSettings.model_validate(json.loads(saved_settings.read_text("utf-8")))
    else:
        settings = load_linkage_settings(sources_file if sources_file and Path(sources_file).is_file() else None)
    wanted = set(settings.input_columns)
    contacts = pq.read_table(needed[0], columns=[c for c in pq.read_schema(needed[0]).names if c in wanted]).to_pandas()
    links = pq.read_table(needed[1], columns=["record_id", "customer_id"]).to_pandas()
    model = FittedModel.from_dict(json.loads(needed[2].read_text("utf-8")))
    return contacts, links, model, settings, ReadingDefaults.from_sources(sources_file), about.get("run_id")


def write_match_index(run_dir: Path, *, prepared: pd.DataFrame | None = None) -> Path:
    """Build the match index of a linked run from its files and save it in the run's ``link.match_index``;
    ``prepared``: the run's contacts as the linkage prepared them (else they are prepared again)."""
    index = MatchIndex.build(Path(run_dir), prepared=prepared)
    return index.save(RunCatalog(run_dir).path("link.match_index"))


def _string_chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """A column's distinct values as string arrays: one, or several when Arrow had to split them (a string array
    holds at most 2 GB of text, which the values of a company of a million customers exceed)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    return [c.cast(pa.string()) for c in chunks]
