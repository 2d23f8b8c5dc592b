"""The Great Expectations suites, built in code from the checks: one per kind of source and one for contacts.

Every expectation carries ``meta``: ``rule`` (the rule id), ``severity``, ``field`` (the logical field),
``explanation`` (one line for the person who fixes the record) and ``check`` (the check's key, how the
runner finds the rows and values it reports).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from transforms.quality.checks import SUITES, Check, checks_for
from transforms.quality.settings import QualitySettings

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import great_expectations.expectations as _gxe
from great_expectations.expectations.row_conditions import Column

gxe: Any = _gxe  # the expectation classes are re-exported without __all__


def expectation(check: Check, settings: QualitySettings) -> Any:
    """The GX expectation of one check, with its meta."""
    rule = settings.rule(check.rule)
    meta = {
        "rule": check.rule,
        "severity": rule.severity,
        "tolerance": rule.tolerance,
        "field": check.field,
        "explanation": check.message,
        "check": check.key,
    }
    kwargs: dict[str, Any] = {"column": check.column, "meta": meta, "severity": rule.severity}
    if check.when is not None:
        kwargs["row_condition"] = Column(check.when[0]) == check.when[1]
    if check.test == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(**kwargs)
    if check.test == "null":
        return gxe.ExpectColumnValuesToBeNull(**kwargs)
    if check.test == "regex":
        return gxe.ExpectColumnValuesToMatchRegex(regex=check.params["regex"], **kwargs)
    if check.test == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(value_set=check.params["value_set"], **kwargs)
    if check.test == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            min_value=check.params.get("min_value"), max_value=check.params.get("max_value"), **kwargs
        )
    if check.test == "unique":
        return gxe.ExpectColumnValuesToBeUnique(**kwargs)
    raise ValueError(f"unknown test {check.test!r}")


def build_suite(name: str, settings: QualitySettings, as_of: dt.date) -> gx.ExpectationSuite:
    """One suite (``journal``, ``spreadsheet``, ``accounting_customers``, ``invoices``, ``payments``, ``contact``)."""
    return gx.ExpectationSuite(
        name=f"crm_{name}",
        expectations=[expectation(check, settings) for check in checks_for(name, settings, as_of)],
        meta={"source_kind": name, "as_of": as_of.isoformat()},
    )


def build_suites(settings: QualitySettings, as_of: dt.date) -> dict[str, gx.ExpectationSuite]:
    """Every suite, by name."""
    return {name: build_suite(name, settings, as_of) for name in SUITES}


def suite_json(suite: gx.ExpectationSuite) -> dict[str, Any]:
    """A suite as JSON for review (ids left out so the export is stable)."""
    data: dict[str, Any] = suite.to_json_dict()
    data.pop("id", None)
    for exp in data.get("expectations", []):
        exp.pop("id", None)
    return data
