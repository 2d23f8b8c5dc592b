"""Check one new record before it is saved: the same standardizers, settings and rules as the nightly suites.

A form (or a script) sends one record as JSON, with logical field names (``surname``, ``phone``,
``attributes.pets`` ...) or, when a source is named, with that source's own column headers. The record
goes through exactly what a night would do to a row of that kind: ``standardize_contacts``, the validation
frame, then the suite's checks (``checks_for``), so a record accepted here is not reported tomorrow.

``crm-etl check-record`` is ``check_record_command``: JSON in (a file or stdin), JSON out, exit code 0 when
the record may be saved, 1 when a mandatory field is missing or a value breaks a rule (critical or warning;
info-level findings such as a stale last-update date are listed but do not refuse the record), 2 when the
input cannot be read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.extract.cells import cell_text
from transforms.extract.extract import extract_fields
from transforms.extract.rows import map_row, plan_columns
from transforms.extract.tables import RawRow
from transforms.faults import EXIT_BAD_INPUT
from transforms.lineage import LINEAGE_COLUMNS
from transforms.quality.checks import CONTACT_KINDS, checks_for
from transforms.quality.evaluate import failing_mask
from transforms.quality.frames import contact_frame
from transforms.quality.settings import QualitySettings, load_quality_settings, settings_for_sources
from transforms.record_input import check_sizes, parse_record, read_record_text
from transforms.settings import load_sources
from transforms.settings.errors import SettingsError
from transforms.settings.sources import ATTRIBUTE_PREFIX, Defaults, SourcesFile
from transforms.standardize.records import ReadingRules, standardize_contacts
from transforms.standardize.sentinels import load_sentinels

#: Severities that refuse a record; info findings are reported only.
REFUSING = ("critical", "warning")
FORM_SOURCE = "form"


class RecordInputError(ValueError):
    """The record cannot be checked as given (not an object, unknown field, unknown source or kind)."""


def _logical_values(record: Mapping[str, Any], kind: str) -> tuple[dict[str, str], dict[str, str], str | None]:
    """(fields, attributes, responsible) of a record written with logical field names."""
    allowed = set(extract_fields(kind))
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    unknown = []
    nested = record.get("attributes")
    if isinstance(nested, Mapping):
        attributes.update({str(k): t for k, v in nested.items() if (t := cell_text(v)) is not None})
    for key, value in record.items():
        if key == "attributes" and isinstance(value, Mapping):
            continue
        text = cell_text(value)
        if key.startswith(ATTRIBUTE_PREFIX):
            if text is not None:
                attributes[key.removeprefix(ATTRIBUTE_PREFIX)] = text
        elif key in allowed:
            if text is not None:
                fields[key] = text
        elif key != "responsible":
            unknown.append(key)
    if unknown:
        raise RecordInputError(
            f"unknown field(s) for a {kind} record: {', '.join(sorted(unknown))}; use "
            f"{', '.join(sorted(allowed))} or attributes.<name> (or name a source to use its column headers)"
        )
    return fields, attributes, cell_text(record.get("responsible"))


def _source_values(
    record: Mapping[str, Any], sources: SourcesFile, source: str
) -> tuple[dict[str, str], dict[str, str], str | None]:
    """(fields, attributes, responsible) of a record written with a source's column headers."""
    spec = sources.source(source)
    header = [str(k) for k in record]
    plan = plan_columns(header, spec)
    mapped = map_row(RawRow(1, 1, list(record.values())), plan, tabular=False)
    return mapped.values, mapped.attributes, mapped.responsible


def _raw_frame(
    fields: dict[str, str], attributes: dict[str, str], responsible: str | None, *, kind: str, source: str
) -> pd.DataFrame:
    """The one-row extract a night would have staged for this record."""
    row: dict[str, Any] = dict.fromkeys((*LINEAGE_COLUMNS, *extract_fields(kind), "attributes"))
    row.update(
        source_name=source,
        source_kind=kind,
        source_file=f"<{source}>",
        sheet="",
        row_number=1,
        physical_row=1,
        responsible=responsible or "",
    )
    row.update(fields)
    row["attributes"] = json.dumps(attributes, ensure_ascii=False, sort_keys=True) if attributes else None
    return pd.DataFrame([row])


def check_record(
    record: Mapping[str, Any],
    *,
    kind: str = "spreadsheet",
    sources_file: Path | None = None,
    source: str | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Which mandatory fields the record lacks and which values break a rule, as the nightly suite says.

    ``kind``: journal, spreadsheet or accounting_customers (ignored when ``source`` is given: the source's
    kind counts). ``sources_file``: the company's sources.yml; its quality.yml, sentinels and reading
    defaults (phone region, date order) apply; without it the bundled defaults do. ``source``: a source of
    that file whose column headers the record uses, and whose mapping decides which mandatory fields apply.
    ``as_of``: the date the date rules are relative to (default: today, as a form checks a record now).
    """
    if not isinstance(record, Mapping):
        raise RecordInputError("expected one record: a JSON object of field names and values")
    check_sizes(dict(record))
    sources: SourcesFile | None = load_sources(sources_file) if sources_file is not None else None
    settings: QualitySettings
    if sources_file is not None:
        settings, origin = settings_for_sources(sources_file)
    else:
        settings, origin = load_quality_settings(), "bundled defaults"
    if source is not None:
        if sources is None:
            raise RecordInputError("naming a source needs the sources file that declares it")
        try:
            kind = sources.source(source).kind
        except KeyError:
            names = ", ".join(s.name for s in sources.sources)
            raise RecordInputError(f"no source {source!r} in {sources.path}; sources: {names}") from None
    if kind not in CONTACT_KINDS:
        raise RecordInputError(f"kind must be one of {', '.join(CONTACT_KINDS)}, not {kind!r}")
    day = as_of or dt.date.today()
    if source is not None and sources is not None:
        fields, attributes, responsible = _source_values(record, sources, source)
        spec = sources.source(source)
        eff = sources.effective(spec)
        rules = ReadingRules(
            phone_region=eff["phone_region"],
            date_order=eff["date_order"],
            country=eff["country"],
            currency=eff["currency"],
            date_format=spec.date_format,
            as_of=day,
            other_regions=sources.regions(),
        )
    else:
        fields, attributes, responsible = _logical_values(record, kind)
        d = sources.defaults if sources is not None else Defaults()
        rules = ReadingRules(
            phone_region=d.phone_region, date_order=d.date_order, country=d.country, currency=d.currency, as_of=day
        )
    sentinels = load_sentinels((sources.defaults.sentinels or None) if sources is not None else None)
    name = source or FORM_SOURCE
    raw = _raw_frame(fields, attributes, responsible, kind=kind, source=name)
    contacts, issues = standardize_contacts(raw, rules=rules, sentinels=sentinels)
    frame = contact_frame(
        contacts,
        issues,
        settings=settings,
        sentinels=sentinels,
        sources=sources if source is not None else None,
        as_of=day,
    )
    findings = []
    for check in checks_for(kind, settings, day):
        if bool(failing_mask(check, frame).iloc[0]):
            value = frame[check.value_column].iloc[0]
            findings.append(
                {
                    "rule": check.rule,
                    "field": check.field,
                    "severity": settings.rule(check.rule).severity,
                    "value": None if value is None or pd.isna(value) else str(value),
                    "message": check.message,
                }
            )
    mandatory = [f for f in findings if f["rule"] == "mandatory_field_missing"]
    problems = [f for f in findings if f["rule"] != "mandatory_field_missing"]
    refused = bool(mandatory) or any(f["severity"] in REFUSING for f in problems)
    # Each finding once: a missing field by name (with why, in missing_reasons), a wrong value among problems.
    return {
        "ok": not refused,
        "kind": kind,
        "source": source,
        "missing": [f["field"] for f in mandatory],
        "missing_reasons": {f["field"]: _missing_reason(f, problems) for f in mandatory},
        "problems": problems,
        "settings": origin,
        "as_of": day.isoformat(),
    }


def _missing_reason(finding: Mapping[str, Any], problems: list[dict[str, Any]]) -> str:
    """Why a mandatory field counts as missing: not filled in, or filled in with nothing usable."""
    if finding["field"] == "phone_or_email" and finding.get("value"):
        wrong = sorted({p["field"] for p in problems if p["field"] in ("phone", "email")})
        which = " and ".join("e-mail" if w == "email" else w for w in wrong) or "phone and e-mail"
        return (
            f"Phone or e-mail is filled in, but no usable one ({which}: see problems): "
            "correct it, or ask the customer for a working phone or e-mail"
        )
    return str(finding["message"])


def check_record_command(file: Path | None, source: str | None, sources: Path | None, kind: str = "spreadsheet") -> int:
    """``crm-etl check-record``: read one record as JSON (a file, or stdin), print the verdict as JSON.

    Exit code: 0 the record may be saved, 1 it is incomplete or breaks a rule, 2 the input could not be read or
    checked (not JSON, too large or too deep, an unknown field or source): a form must not read 2 as "refused".
    """
    try:
        record = parse_record(read_record_text(file))
        result = check_record(record, kind=kind, sources_file=sources, source=source)
    except (OSError, ValueError, SettingsError) as exc:  # RecordInputError and RecordTooLargeError are ValueErrors
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
        return EXIT_BAD_INPUT
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1
