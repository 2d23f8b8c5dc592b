"""standardize_email, email_match_key and standardize_emails."""

import pandas as pd
import pytest

from transforms.standardize.emails import EmailResult, email_match_key, standardize_email, standardize_emails


@pytest.mark.parametrize(
    ("written", "result"),
    [
        ("Jan.Kowalski@WP.PL", EmailResult("jan.kowalski@wp.pl", None)),
        ("  mailto:jan@wp.pl ", EmailResult("jan@wp.pl", None)),
        ("E-mail: jan@firma.com.pl", EmailResult("jan@firma.com.pl", None)),
        ("Jan Kowalski <jan@wp.pl>", EmailResult("jan@wp.pl", None)),
        ("jan @ wp.pl", EmailResult("jan@wp.pl", None)),
        ("jan(at)wp.pl", EmailResult("jan@wp.pl", None)),
        ("jan@firma.pl.", EmailResult("jan@firma.pl", "domain_typo_fixed")),  # mended, and reported
        ("jan@wp.pl..", EmailResult("jan@wp.pl", "domain_typo_fixed")),
        (".jan@wp.pl", EmailResult(None, "invalid_format")),
        ("иван@почта.рф", EmailResult("иван@почта.рф", None)),
        # domain typos of known providers
        ("jan@gmial.com", EmailResult("jan@gmail.com", "domain_typo_fixed")),
        ("jan@gmai.com", EmailResult("jan@gmail.com", "domain_typo_fixed")),
        ("jan@gmail.co", EmailResult("jan@gmail.com", "domain_typo_fixed")),
        ("jan@gmail.con", EmailResult("jan@gmail.com", "domain_typo_fixed")),
        ("jan@gmail", EmailResult("jan@gmail.com", "domain_typo_fixed")),
        ("jan@gmaill.com", EmailResult("jan@gmail.com", "domain_typo_fixed")),  # one slip from gmail
        ("jan@gmail..com", EmailResult("jan@gmail.com", "domain_typo_fixed")),
        ("jan@poczta,fm", EmailResult("jan@poczta.fm", "domain_typo_fixed")),  # a comma for the dot
        ("jan@wp.pl,nowak", EmailResult(None, "invalid_format")),  # not a comma for a dot: a list
        ("jan@hotmial.com", EmailResult("jan@hotmail.com", "domain_typo_fixed")),
        ("jan@yahho.com", EmailResult("jan@yahoo.com", "domain_typo_fixed")),
        ("jan@outlok.com", EmailResult("jan@outlook.com", "domain_typo_fixed")),
        ("ivan@mail.r", EmailResult("ivan@mail.ru", "domain_typo_fixed")),
        ("ivan@yandex.rr", EmailResult("ivan@yandex.ru", "domain_typo_fixed")),
        ("jan@wp.p", EmailResult("jan@wp.pl", "domain_typo_fixed")),
        ("jan@02.pl", EmailResult("jan@o2.pl", "domain_typo_fixed")),
        # real domains one slip from a provider are never changed
        ("jan@ymail.com", EmailResult("jan@ymail.com", None)),
        ("jan@op.pl", EmailResult("jan@op.pl", None)),
        ("ivan@yandex.ua", EmailResult("ivan@yandex.ua", None)),
        ("jan@gmeil.de", EmailResult("jan@gmeil.de", None)),  # not the same top-level domain
        # not addresses
        ("jan kowalski@wp.pl", EmailResult(None, "invalid_format")),
        ("jan@@wp.pl", EmailResult(None, "invalid_format")),
        ("jan@wp", EmailResult("jan@wp.pl", "domain_typo_fixed")),  # the one provider named wp
        ("jan@firma", EmailResult(None, "invalid_format")),
        ("jan@mail", EmailResult(None, "invalid_format")),  # mail.ru or mail.com?
        ("jan..k@wp.pl", EmailResult(None, "invalid_format")),
        ("jan.@wp.pl", EmailResult(None, "invalid_format")),
        ("no address", EmailResult(None, "invalid_format")),
        ("jan@wp.pl; anna@o2.pl", EmailResult("jan@wp.pl", "multiple_emails")),
        (None, EmailResult(None, None)),
        ("", EmailResult(None, None)),
    ],
)
def test_standardize_email(written: str | None, result: EmailResult) -> None:
    assert standardize_email(written) == result


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("jan.kowalski+crm@gmail.com", "jankowalski@gmail.com"),
        ("Jan.Kowalski@googlemail.com", "jankowalski@gmail.com"),
        ("j.a.n@gmail.com", "jan@gmail.com"),
        ("jan.kowalski+newsletter@wp.pl", "jan.kowalski@wp.pl"),  # dots matter outside Gmail
        ("jan.kowalski@wp.pl", "jan.kowalski@wp.pl"),
        ("+tag@wp.pl", None),
        ("not an address", None),
        (None, None),
    ],
)
def test_email_match_key(email: str | None, key: str | None) -> None:
    assert email_match_key(email) == key


def test_standardize_emails_column() -> None:
    values = pd.Series(["Jan.Kowalski+x@GMIAL.com", None, "bad", "jan.kowalski@gmail.com"], index=[7, 8, 9, 10])
    frame = standardize_emails(values)
    assert list(frame.columns) == ["email", "email_key", "email_issue"]
    assert list(frame.index) == [7, 8, 9, 10]
    assert frame["email"].tolist() == ["jan.kowalski+x@gmail.com", None, None, "jan.kowalski@gmail.com"]
    assert frame["email_key"].tolist() == ["jankowalski@gmail.com", None, None, "jankowalski@gmail.com"]
    assert frame["email_issue"].tolist() == ["domain_typo_fixed", None, "invalid_format", None]
