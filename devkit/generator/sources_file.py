"""Write ``sources.yml`` declaring every generated file, in the schema of ``transforms.settings.sources``.

Built from the same constants and layouts the writers used, so the declared headers are exactly the
written ones. One source per file layout: each manager's workbook is its own source because its
headers differ; both schema versions of the visits journal share one ``columns`` map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from devkit.generator import accounting, journals
from devkit.generator.layouts import LAYOUTS
from devkit.generator.staff import COMPANY_NAME
from devkit.generator.workbooks import WrittenWorkbook


def _journals() -> list[dict[str, Any]]:
    call_columns = dict(
        zip(
            journals.CALL_HEADERS,
            (
                "interaction_at",
                "surname",
                "given_name",
                "patronymic",
                "phone",
                "email",
                "date_of_birth",
                "responsible",
                "attributes.topic",
                "complaint",
                "survey_score",
            ),
            strict=True,
        )
    )
    return [
        {
            "name": "call_log",
            "kind": "journal",
            "path": journals.CALL_LOG,
            "description": "Call centre export: one row per call, Windows-1251, semicolons, Russian headers.",
            "encoding": "cp1251",
            "delimiter": ";",
            "header_row": 1,
            "date_order": "DMY",
            "phone_region": "RU",
            "responsible": {"column": "Менеджер"},
            "columns": call_columns,
        },
        {
            "name": "visits",
            "kind": "journal",
            "path": journals.VISITS,
            "description": "Shop visit log, JSON lines; flat keys before the schema change, nested contact after.",
            "encoding": "utf-8",
            "date_order": "DMY",
            "phone_region": "PL",
            "country": "PL",
            "columns": {
                "name": "full_name",
                "phone": "phone",
                "mail": "email",
                "dob": "date_of_birth",
                "visited": "interaction_at",
                "score": "survey_score",
                "contact.first_name": "given_name",
                "contact.last_name": "surname",
                "contact.phone": "phone",
                "contact.email": "email",
                "contact.birth_date": "date_of_birth",
                "visited_at": "interaction_at",
                "survey.score": "survey_score",
                "tags": "tags",
                "preferences.brands": "attributes.preferred_brands",
                "preferences.categories": "attributes.preferred_categories",
                "channel": "channel",
            },
        },
    ]


def _workbooks(written: list[WrittenWorkbook]) -> list[dict[str, Any]]:
    by_source = {w.source: w for w in written}
    out = []
    for lay in LAYOUTS:
        w = by_source[lay.source]
        spec: dict[str, Any] = {
            "name": lay.source,
            "kind": "spreadsheet",
            "path": w.path,
            "description": lay.description,
            "header_row": "auto" if lay.title_rows else 1,
            "sheets": "all" if lay.sheets_selector == "all" else list(w.data_sheets),
            "date_order": lay.date_order,
            "phone_region": lay.phone_region,
        }
        if lay.country:
            spec["country"] = lay.country
        if lay.responsible_employee:
            spec["responsible"] = {"employee": lay.responsible_employee}
        else:
            header = next(c.header for c in lay.columns if c.field == "_responsible")
            spec["responsible"] = {"column": header}
        spec["columns"] = {c.header: c.target for c in lay.columns if c.target}
        out.append(spec)
    return out


def _accounting() -> list[dict[str, Any]]:
    common = {"encoding": "utf-8-sig", "delimiter": ",", "header_row": 1, "date_order": "YMD", "phone_region": "PL"}
    return [
        {
            "name": "accounting_customers",
            "kind": "accounting_customers",
            "path": accounting.CUSTOMERS,
            "description": "Accounting customer register: codes, tax ids, address in one field or split.",
            **common,
            "columns": dict(
                zip(
                    accounting.CUSTOMER_HEADERS,
                    (
                        "customer_code",
                        "attributes.customer_type",
                        "company",
                        "given_name",
                        "surname",
                        "tax_id",
                        "address",
                        "street",
                        "postcode",
                        "city",
                        "country",
                        "phone",
                        "email",
                        "last_updated",
                    ),
                    strict=True,
                )
            ),
        },
        {
            "name": "invoices",
            "kind": "invoices",
            "path": accounting.INVOICES,
            "description": "Invoices (FV) and credit notes (FK) with issue and due dates.",
            **common,
            "columns": dict(
                zip(
                    accounting.INVOICE_HEADERS,
                    (
                        "invoice_number",
                        "document_type",
                        "customer_code",
                        "issue_date",
                        "due_date",
                        "amount",
                        "currency",
                        "corrects_invoice",
                    ),
                    strict=True,
                )
            ),
        },
        {
            "name": "payments",
            "kind": "payments",
            "path": accounting.PAYMENTS,
            "description": "Bank payments matched to invoices by number; instalments are separate rows.",
            **common,
            "columns": dict(
                zip(
                    accounting.PAYMENT_HEADERS,
                    (
                        "payment_id",
                        "payment_date",
                        "invoice_number",
                        "customer_code",
                        "amount",
                        "currency",
                    ),
                    strict=True,
                )
            ),
        },
    ]


def sources_document(written: list[WrittenWorkbook]) -> dict[str, Any]:
    """The whole sources file as a dict, ready to dump."""
    return {
        "version": 1,
        "company": COMPANY_NAME,
        "defaults": {
            "encoding": "auto",
            "date_order": "DMY",
            "phone_region": "PL",
            "currency": "PLN",
            "responsible": "unassigned",
        },
        "sources": [*_journals(), *_workbooks(written), *_accounting()],
    }


def write_sources_file(path: Path, written: list[WrittenWorkbook]) -> None:
    """Write sources.yml (UTF-8, keys in a readable order, no YAML aliases)."""

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
        # Punctuation-only values (the delimiter ";", sentinels "-" and "?") read better quoted.
        style = '"' if data and not any(ch.isalnum() for ch in data) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    _NoAliases.add_representer(str, _str)

    header = (
        "# Sources of the synthetic sample company, written by devkit.generator (see README.md).\n"
        "# Paths are relative to this file. Regenerate rather than edit: the truth in truth/ matches these files.\n"
    )
    body = yaml.dump(sources_document(written), Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + body, encoding="utf-8")


def write_quality_file(path: Path, digits: int) -> bool:
    """Write the company's ``quality.yml`` when its data standard differs from the bundled one: a company issuing
    more than 999,999 documents a year numbers them with more than six digits after the year. False (nothing
    written) for a company the bundled defaults describe."""
    if digits <= 6:
        return False
    numbers = {
        "invoice": rf"^FV/\d{{4}}/\d{{{digits}}}$",
        "credit_note": rf"^FK/\d{{4}}/\d{{{digits}}}$",
    }
    header = (
        f"# {COMPANY_NAME} issues more than 999,999 documents a year: {digits} digits after the year.\n"
        "# Everything else is the bundled defaults (transforms/quality/data/quality.yml).\n"
    )
    path.write_text(header + yaml.safe_dump({"document_numbers": numbers}, sort_keys=False), encoding="utf-8")
    return True
