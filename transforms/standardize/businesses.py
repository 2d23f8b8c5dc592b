"""Businesses written where a person's name is expected: an accounting billing name, a journal's client.

Accounting bills "Nowak Sp. z o.o.", "ИП Щукенко Евгений Михайлович", "RYBNIKOV USŁUGI REMONTOWE" or
"广州王晓明贸易有限公司" in the same column as "Jan Nowak". Split as a person's name, "Sp. z o.o." becomes a surname
and "USŁUGI" a given name, and the record links to nobody or to the wrong person. The business is kept as the
company; a sole trader's own name (the words after ИП or PHU, or before a trade word) is returned to be split as a
person's name; a company's name (a legal form: Sp. z o.o., ООО, Ltd, GmbH, 有限公司) gives no person at all, and
such a record links on its phone, e-mail, tax id and address. The words are in ``data/businesses.yml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from transforms.standardize._data import load_table, string_list
from transforms.standardize.text import normalize_text
from transforms.standardize.vectorize import results_frame

_WORDS = load_table("businesses.yml")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_QUOTED = re.compile(r"[\"«»„“”]")  # a brand in quotes: ООО «Ромашка», FHU "SOBOWSKI"
_EDGE_PUNCTUATION = " ,;:-–—&\"'«»„“”()"


def _pattern(form: str) -> str:
    """A regular expression for one written form: as a whole word (Han: anywhere), dots required where written,
    spaces optional after a dot."""
    body = re.escape(form).replace(r"\.\ ", r"\.\s*").replace(r"\ ", r"\s+")
    if _HAN.search(form):
        return body
    return rf"(?<!\w){body}(?!\w)" if form[-1].isalnum() else rf"(?<!\w){body}"


def _compile(key: str, *, short_last: bool = False, leading: bool = False) -> re.Pattern[str]:
    forms = sorted({f.casefold() for f in string_list(_WORDS[key], f"businesses.yml: {key}")}, key=len, reverse=True)
    parts = []
    for form in forms:
        pattern = _pattern(form)
        if leading:
            pattern = rf"^{pattern}"
        elif short_last and form.isascii() and form.isalpha() and len(form) <= 3:
            # Co, AG, KG, AB: only as the last word, where a legal form stands ("Nowak AG", not "Co Thi Lan").
            pattern = rf"{pattern}\W*$"
        parts.append(pattern)
    return re.compile("|".join(parts))


_COMPANY_FORMS = _compile("company_forms", short_last=True)
_LEADING_COMPANY_FORMS = _compile("company_forms_leading", leading=True)
_SOLE_TRADER = _compile("sole_trader_marks")
_TRADE_WORDS = _compile("trade_words")


@dataclass(frozen=True, slots=True)
class BillingName:
    """A name written in one field, read as a business or a person: ``company`` is the business as written (None
    for a person), ``person`` the person's name to split (the whole text for a person, a sole trader's own name,
    None for a company)."""

    company: str | None = None
    person: str | None = None


def _owner(words: str) -> str | None:
    """The owner's name when it is one to three words and not a brand in quotes. A first word that begins a later
    one is the brand made of the surname, not a name: "PHU KLIMOW Jerzy Klimowski", "PHU NOWAK Jan Nowak"."""
    if _QUOTED.search(words):
        return None
    parts = words.strip(_EDGE_PUNCTUATION).split()
    if len(parts) >= 3 and len(parts[0]) >= 3 and any(w.casefold().startswith(parts[0].casefold()) for w in parts[1:]):
        parts = parts[1:]
    if not parts or len(parts) > 3:
        return None
    return " ".join(parts)


@lru_cache(maxsize=1 << 16)
def read_billing_name(written: str) -> BillingName:
    """Whether ``written`` names a business (a legal form, a sole trader's mark or a trade word), and the person in it.

    "Nowak Sp. z o.o." -> company only; "ИП Щукенко Евгений Михайлович" -> company, person "Щукенко Евгений
    Михайлович"; "Jan Kowalski Usługi Remontowe" -> company, person "Jan Kowalski"; "RYBNIKOV USŁUGI REMONTOWE" ->
    company, person "RYBNIKOV"; "Jan Kowalski" -> person only.
    """
    text = normalize_text(written)
    if text is None:
        return BillingName()
    folded = text.casefold()
    if len(folded) != len(text):  # casefold changed lengths (ß): find on the text as written instead
        folded = text.lower()
    if _COMPANY_FORMS.search(folded) or _LEADING_COMPANY_FORMS.search(folded):
        return BillingName(company=text)
    mark = _SOLE_TRADER.match(folded)
    if mark is not None and mark.end() < len(folded) and not folded[mark.end()].isalnum():
        rest = text[mark.end() :]
        if len(mark.group()) <= 2 and len(rest.split()) < 2:
            return BillingName(person=text)  # "Ip Man": a Cantonese surname, not a Russian ИП
        trade = _TRADE_WORDS.search(rest.casefold())
        return BillingName(company=text, person=_owner(rest[: trade.start()] if trade else rest))
    trade = _TRADE_WORDS.search(folded)
    if trade is not None:
        return BillingName(company=text, person=_owner(text[: trade.start()]))
    return BillingName(person=text)


def read_billing_names(values: pd.Series) -> pd.DataFrame:
    """``read_billing_name`` over a column (once per distinct value): company, person."""
    columns = {"company": "company", "person": "person"}
    return results_frame(values, lambda v: read_billing_name(v) if isinstance(v, str) else BillingName(), columns)
