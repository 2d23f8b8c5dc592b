"""check-record: one record from a form, judged by the nightly rules and settings."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from transforms.quality.entry import RecordInputError, check_record, check_record_command

AS_OF = dt.date(2026, 11, 20)
COMPLETE = {
    "surname": "Kowalski",
    "given_name": "Jan",
    "date_of_birth": "02.01.1980",
    "phone": "601 234 567",
    "email": "jan.kowalski@wp.pl",
}


def test_a_complete_record_is_ok() -> None:
    answer = check_record(COMPLETE, kind="spreadsheet", sources_file=None, as_of=AS_OF)
    assert answer["ok"] is True
    assert answer["missing"] == [] and answer["problems"] == []


def test_a_missing_surname_is_named() -> None:
    record = {k: v for k, v in COMPLETE.items() if k != "surname"}
    answer = check_record(record, kind="spreadsheet", sources_file=None, as_of=AS_OF)
    assert answer["ok"] is False
    assert answer["missing"] == ["surname"]


def test_a_sentinel_is_not_a_value() -> None:
    answer = check_record({**COMPLETE, "surname": "brak danych"}, kind="journal", sources_file=None, as_of=AS_OF)
    assert answer["missing"] == ["surname"]
    assert [(p["rule"], p["field"], p["value"]) for p in answer["problems"]] == [
        ("sentinel_used", "surname", "brak danych")
    ]


def test_a_bad_email_names_the_rule() -> None:
    answer = check_record({**COMPLETE, "email": "jan@@wp.pl"}, kind="spreadsheet", sources_file=None, as_of=AS_OF)
    assert answer["ok"] is False
    assert [(p["rule"], p["field"], p["severity"]) for p in answer["problems"]] == [
        ("email_format", "email", "warning")
    ]
    assert "E-mail" in answer["problems"][0]["message"]


def test_phone_na_and_a_bad_email_leave_no_contact() -> None:
    record = {**COMPLETE, "phone": "n/a", "email": "jan@@wp.pl"}
    answer = check_record(record, kind="spreadsheet", sources_file=None, as_of=AS_OF)
    assert answer["missing"] == ["phone_or_email"]


def test_dates_rules_use_the_as_of_date() -> None:
    answer = check_record(
        {**COMPLETE, "date_of_birth": "21.11.2026"}, kind="spreadsheet", sources_file=None, as_of=AS_OF
    )
    assert [p["rule"] for p in answer["problems"]] == ["dob_impossible"]
    stale = check_record({**COMPLETE, "last_updated": "01.01.2020"}, kind="spreadsheet", sources_file=None, as_of=AS_OF)
    assert [p["rule"] for p in stale["problems"]] == ["stale_record"]
    assert stale["ok"] is True  # info only: listed, not refused


def test_company_settings_apply(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text(
        "sources:\n- name: anna\n  kind: spreadsheet\n  path: anna.csv\n"
        "  columns: {Nazwisko: surname, Imie: given_name, Kanal: channel, Prezent: attributes.expected_gift}\n",
        "utf-8",
    )
    (tmp_path / "quality.yml").write_text(
        "mandatory:\n  fields: [surname]\n  one_of: []\n  extra: [channel, attributes.expected_gift]\n", "utf-8"
    )
    answer = check_record(
        {"Nazwisko": "Nowak", "Kanal": "polecenie"}, sources_file=tmp_path / "sources.yml", source="anna", as_of=AS_OF
    )
    assert answer["kind"] == "spreadsheet"
    assert answer["missing"] == ["attributes.expected_gift"]
    form = check_record({"surname": "Nowak"}, kind="journal", sources_file=tmp_path / "sources.yml", as_of=AS_OF)
    assert form["missing"] == ["channel", "attributes.expected_gift"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(RecordInputError, match="surnmae"):
        check_record({"surnmae": "Nowak"}, kind="spreadsheet", sources_file=None, as_of=AS_OF)
    with pytest.raises(RecordInputError, match="kind"):
        check_record(COMPLETE, kind="invoices", sources_file=None, as_of=AS_OF)


def test_command_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(COMPLETE), "utf-8")
    assert check_record_command(good, None, None) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"given_name": "Jan", "email": "jan@wp.pl"})))
    assert check_record_command(None, None, None) == 1
    assert json.loads(capsys.readouterr().out)["missing"] == ["surname", "date_of_birth"]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", "utf-8")
    assert check_record_command(broken, None, None) == 2
    assert "error" in json.loads(capsys.readouterr().out)
    assert check_record_command(good, "anna", None) == 2


def test_phone_and_email_filled_but_unusable_are_said_so_and_each_finding_is_listed_once() -> None:
    answer = check_record(
        {"surname": "Nowak", "given_name": "Jan", "date_of_birth": "1980-01-02", "phone": "123", "email": "jan@@wp.pl"},
        as_of=dt.date(2026, 11, 20),
    )
    assert answer["missing"] == ["phone_or_email"]
    reason = answer["missing_reasons"]["phone_or_email"]
    assert "Neither" not in reason and "filled in, but no usable one" in reason
    assert sorted(p["rule"] for p in answer["problems"]) == ["email_format", "phone_format"]
    assert "findings" not in answer
    text = json.dumps(answer)
    assert text.count("jan@@wp.pl") == 1 and text.count("E-mail is written wrongly") == 1


def test_help_lists_the_accepted_fields() -> None:
    from typer.testing import CliRunner

    from transforms.cli import app
    from transforms.extract.extract import extract_fields

    result = CliRunner().invoke(app, ["check-record", "--help"], env={"COLUMNS": "200"})
    words = set(result.output.replace(",", " ").replace(".", " ").split())
    for kind in ("spreadsheet", "journal"):
        assert set(extract_fields(kind)) <= words, set(extract_fields(kind)) - words


def test_input_nested_100000_deep_is_unreadable_not_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 ("could not read the input"), never 1, which a form reads as "refuse to save"."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    assert check_record_command(deep, None, None) == 2
    assert "KiB" in json.loads(capsys.readouterr().out)["error"]
    within_size = tmp_path / "deep_small.json"  # deep enough to overflow the parser, small enough to be read
    within_size.write_text('{"surname": ' + "[" * 20_000 + "]" * 20_000 + "}", "utf-8")
    assert check_record_command(within_size, None, None) == 2
    assert "levels deep" in json.loads(capsys.readouterr().out)["error"]


def test_oversize_input_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from transforms.record_input import MAX_FIELD_CHARS, MAX_RECORD_BYTES

    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**COMPLETE, "surname": "A" * 50_000_000}), "utf-8")
    assert check_record_command(huge, None, None) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert f"{MAX_RECORD_BYTES // 1024} KiB" in error and "AAAA" not in error
    long_field = tmp_path / "long.json"
    long_field.write_text(json.dumps({**COMPLETE, "surname": "A" * (MAX_FIELD_CHARS + 1)}), "utf-8")
    assert check_record_command(long_field, None, None) == 2
    assert "'surname'" in json.loads(capsys.readouterr().out)["error"]
    with pytest.raises(ValueError, match="surname"):
        check_record({**COMPLETE, "surname": "A" * (MAX_FIELD_CHARS + 1)}, kind="spreadsheet", as_of=AS_OF)


def test_the_command_line_never_shows_a_traceback_for_deep_input(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from transforms.cli import app

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    result = CliRunner().invoke(app, ["check-record", str(deep)])
    assert result.exit_code == 2 and "Traceback" not in result.output
