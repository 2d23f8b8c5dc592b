"""E-mail addresses: one written form, obvious domain typos mended, and a key for matching.

People type "Jan.Kowalski@GMIAL.COM", "mailto:jan@wp.pl " or "jan @ wp.pl"; an address is only useful for linkage
when it is written one way. Domain corrections are limited to well-known mailbox providers (``data/
email_domain_typos.yml``), because a wrong correction sends mail to a stranger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd
from rapidfuzz.distance import OSA

from transforms.standardize._data import load_table, string_list
from transforms.standardize.text import normalize_text
from transforms.standardize.vectorize import results_frame


@dataclass(frozen=True, slots=True)
class EmailResult:
    """The address in lower case, or None; ``issue`` is ``invalid_format``, ``domain_typo_fixed`` (the address is
    set, with its domain corrected), ``multiple_emails`` (the cell held several; the first valid is set, all are
    available from ``extract_emails``) or None."""

    email: str | None
    issue: str | None


_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
_DOMAIN = r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
_ADDRESS = re.compile(rf"{_LOCAL}@{_DOMAIN}")
_MAILTO = re.compile(r"^(?:mailto|e-?mail|mail|адрес|почта|ایمیل|邮箱)\s*:\s*", re.IGNORECASE)
_ANGLE = re.compile(r"<([^<>]*@[^<>]*)>")
_AT = re.compile(r"\s*(?:@|\((?:at|@)\)|\[(?:at|@)\])\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")
# "jan@poczta,fm": a comma for the one dot of the domain (not "jan@wp.pl,nowak": a list).
_COMMA_FOR_DOT = re.compile(r"^([^@\s,;]+@[^@\s,;.]+),([^\W\d_]{2,6})$")
_SURROUNDING = " <>()[]\"',;:"  # not the dot: a dot after the domain is a typo to report


@dataclass(frozen=True)
class _Corrections:
    typos: dict[str, str]
    providers: frozenset[str]
    by_label: dict[str, list[str]]
    tld_typos: dict[str, str]
    fuzzy: tuple[str, ...]
    fuzzy_min_length: int


@cache
def _corrections() -> _Corrections:
    table = load_table("email_domain_typos.yml")
    providers = frozenset(string_list(table["providers"], "email_domain_typos.yml: providers"))
    by_label: dict[str, list[str]] = {}
    for domain in sorted(providers):
        by_label.setdefault(domain.rsplit(".", 1)[0], []).append(domain)
    tld_typos = {
        typo: tld
        for tld, typos in table["tld_typos"].items()
        for typo in string_list(typos, f"email_domain_typos.yml: tld_typos[{tld!r}]")
    }
    return _Corrections(
        typos={str(k): str(v) for k, v in table["typos"].items()},
        providers=providers,
        by_label=by_label,
        tld_typos=tld_typos,
        fuzzy=tuple(string_list(table["fuzzy_providers"], "email_domain_typos.yml: fuzzy_providers")),
        fuzzy_min_length=int(table["fuzzy_min_length"]),
    )


def _corrected_domain(domain: str) -> str | None:
    """The provider domain meant by a misspelled ``domain``, or None when it is not a known slip."""
    c = _corrections()
    if domain in c.providers:
        return None
    if domain in c.typos:
        return c.typos[domain]
    label, dot, tld = domain.rpartition(".")
    if not dot:
        # "jan@gmail": a provider's name with no top-level domain, when only one provider has that name.
        known = c.by_label.get(domain, [])
        return known[0] if len(known) == 1 else None
    fixed_tld = c.tld_typos.get(tld)
    if fixed_tld and f"{label}.{fixed_tld}" in c.providers:
        return f"{label}.{fixed_tld}"
    if len(label) >= c.fuzzy_min_length:
        near = [
            provider
            for provider in c.fuzzy
            if provider.endswith(f".{tld}") and OSA.distance(label, provider.rsplit(".", 1)[0], score_cutoff=1) <= 1
        ]
        if len(near) == 1:
            return near[0]
    return None


def _standardize_one(text: str) -> EmailResult:
    text = text.lower().strip(_SURROUNDING)
    local, at, domain = text.rpartition("@")
    if not at or "@" in local:
        return EmailResult(None, "invalid_format")
    issue = None
    if domain.endswith("."):
        domain, issue = domain.rstrip("."), "domain_typo_fixed"  # "jan@wp.pl.."
    if ".." in domain:
        domain, issue = re.sub(r"\.{2,}", ".", domain), "domain_typo_fixed"
    corrected = _corrected_domain(domain)
    if corrected is not None:
        domain, issue = corrected, "domain_typo_fixed"
    address = f"{local}@{domain}"
    if not _ADDRESS.fullmatch(address):
        return EmailResult(None, "invalid_format")
    return EmailResult(address, issue)


def extract_emails(value: object) -> list[EmailResult]:
    """Every address written in one cell, each standardized; [] for a missing value."""
    text = normalize_text(value)
    if text is None:
        return []
    text = _MAILTO.sub("", text)
    angle = _ANGLE.search(text)
    if angle:
        text = angle.group(1)  # "Jan Kowalski <jan@wp.pl>"
    text = _AT.sub("@", text).strip(_SURROUNDING)
    comma = _COMMA_FOR_DOT.match(text)
    if comma:
        fixed = _standardize_one(f"{comma.group(1)}.{comma.group(2)}")
        return [EmailResult(fixed.email, "domain_typo_fixed") if fixed.email else fixed]
    parts = [p for p in _SEPARATORS.split(text) if p]
    if len(parts) > 1 and all("@" in p for p in parts):
        return [_standardize_one(p) for p in parts]
    if len(parts) != 1:
        # Words around an address ("jan kowalski@wp.pl"): which of them belong to it cannot be told.
        return [EmailResult(None, "invalid_format")]
    return [_standardize_one(parts[0])]


def email_in_text(value: object) -> str | None:
    """The first e-mail address written inside free text ("просит ответ на Jan.Nowak@wp.pl"), as written; None when
    there is none. For a journal's comment, whose words around the address are not part of it."""
    text = normalize_text(value)
    found = _ADDRESS.search(_AT.sub("@", text)) if text is not None else None
    return found.group(0) if found else None


def standardize_email(value: object) -> EmailResult:
    """One written e-mail address, lower-cased and trimmed (mailto:, <...>, "(at)" undone), domain typos mended.

    Not done: checking that the domain exists (no network in a nightly batch), or guessing an address out of
    surrounding words. The local part is lower-cased too: providers treat it case-insensitively in practice.
    """
    found = extract_emails(value)
    if not found:
        return EmailResult(None, None)
    if len(found) == 1:
        return found[0]
    first_valid = next((r for r in found if r.email is not None), None)
    return EmailResult(first_valid.email, "multiple_emails") if first_valid else found[0]


def email_match_key(email: str | None) -> str | None:
    """A key equal for addresses that reach the same mailbox: "+tag" dropped everywhere, and for Gmail the dots too.

    "Jan.Kowalski+crm@googlemail.com" -> "jankowalski@gmail.com". None when ``email`` is not an address.
    """
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local and domain else None


@dataclass(frozen=True, slots=True)
class _Keyed:
    email: str | None
    email_key: str | None
    issue: str | None


def _keyed(value: object) -> _Keyed:
    result = standardize_email(value)
    return _Keyed(result.email, email_match_key(result.email), result.issue)


def standardize_emails(values: pd.Series) -> pd.DataFrame:
    """``standardize_email`` over a column, once per distinct value: columns email, email_key, email_issue."""
    return results_frame(values, _keyed, {"email": "email", "email_key": "email_key", "email_issue": "issue"})
