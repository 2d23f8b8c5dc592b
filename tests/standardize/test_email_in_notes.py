"""An e-mail address written in a journal's comment is the entry's e-mail when it has none of its own."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tests.support import staged_rows
from transforms.standardize.emails import email_in_text
from transforms.standardize.records import ReadingRules, standardize_contacts
from transforms.standardize.sentinels import load_sentinels


def test_email_in_text() -> None:
    assert email_in_text("просит ответ на Jan.Nowak@WP.pl") == "Jan.Nowak@WP.pl"
    assert email_in_text("write to jan (at) wp.pl, thanks.") == "jan@wp.pl"
    assert email_in_text("перезвонить вечером") is None
    assert email_in_text(None) is None


def _raw(kind: str, emails: list[str | None], notes: list[str | None]) -> pd.DataFrame:
    return staged_rows("journal", kind, "calls.csv", full_name=["Jan Nowak"] * len(emails), email=emails, notes=notes)


def test_a_journal_entry_takes_the_email_of_its_comment_when_it_has_none() -> None:
    notes = ["просит ответ на Jan.Nowak@WP.pl", "odpisać na jan@wp.pl", "перезвонить"]
    raw = _raw("journal", [None, "anna@onet.pl", None], notes)
    rules = ReadingRules(phone_region="PL", date_order="DMY", as_of=dt.date(2026, 11, 20))
    out, issues = standardize_contacts(raw, rules=rules, sentinels=load_sentinels(None))
    assert out["email"].tolist() == ["jan.nowak@wp.pl", "anna@onet.pl", None]
    assert out["email_key"].iloc[0] == "jan.nowak@wp.pl"
    taken = issues[issues["field"] == "email"]
    assert taken[["row_number", "issue", "raw_value"]].values.tolist() == [[1, "taken_from_notes", "Jan.Nowak@WP.pl"]]
    assert raw["notes"].tolist() == notes  # the comment stays as written


def test_a_sales_sheets_notes_are_not_its_email() -> None:
    raw = _raw("spreadsheet", [None], ["prywatny: jan@wp.pl"])
    rules = ReadingRules(phone_region="PL", date_order="DMY", as_of=dt.date(2026, 11, 20))
    out, _ = standardize_contacts(raw, rules=rules, sentinels=load_sentinels(None))
    assert out["email"].tolist() == [None]
