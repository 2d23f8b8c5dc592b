"""Which golden-record columns a customer's completeness counts: the mandatory fields of the company's quality.yml."""

from __future__ import annotations

from pathlib import Path

from transforms.customers.consolidate import requirements


def test_requirements_follow_the_companys_mandatory_fields(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "quality.yml").write_text(
        "mandatory:\n"
        "  extra: [channel, attributes.expected_gift]\n"
        "  one_of:\n"
        "    - [phone, email]\n"
        "    - [address, postcode]\n",
        encoding="utf-8",
    )
    assert requirements(str(tmp_path / "sources.yml")) == [
        ("surname",),
        ("given_name",),
        ("date_of_birth",),
        ("channel",),  # a company's addition
        ("phone_e164", "email"),  # fields named as in the sources, columns as in the golden record
        ("street", "postcode"),
    ]  # an attribute is not a golden-record column: not counted


def test_requirements_of_the_bundled_rules(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    assert requirements(str(tmp_path / "sources.yml")) == [
        ("surname",),
        ("given_name",),
        ("date_of_birth",),
        ("phone_e164", "email"),
    ]
