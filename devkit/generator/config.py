"""Generation settings: every rate of mess in one small frozen dataclass, so a test can turn one knob.

The defaults give a realistic small company; tests that need a clean or a very messy world pass their own
``GenerationSettings`` instead of patching code. Nothing here depends on the seed: the seed only decides
*which* rows get the mess, the rates decide *how much*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The business date all generated dates are relative to; fixed (not today) so output is reproducible.
DEFAULT_AS_OF = dt.date(2026, 11, 20)
#: A fixed timestamp for workbook properties and zip entries, so .xlsx files are byte-identical too.
FIXED_TIMESTAMP = dt.datetime(2026, 1, 1, 0, 0, 0)

CULTURES: tuple[str, ...] = ("pl", "ru", "en", "fa", "zh")
SCRIPT_OF_CULTURE: dict[str, str] = {"pl": "Latn", "ru": "Cyrl", "en": "Latn", "fa": "Arab", "zh": "Hani"}
COUNTRIES: tuple[str, ...] = ("PL", "RU", "US", "IR", "CN")
PAYMENT_CLASSES: tuple[str, ...] = ("on_time", "slight_delay", "significant_delay", "non_payer")
SEXES: tuple[str, ...] = ("M", "F")


@dataclass(frozen=True)
class GenerationSettings:
    """Rates of every kind of mess and of every life event; probabilities unless the name says otherwise."""

    # --- population -------------------------------------------------------------------------------------
    culture_weights: tuple[float, float, float, float, float] = (0.46, 0.18, 0.14, 0.11, 0.11)
    company_rate: float = 0.06
    household_member_rate: float = 0.08  # share of people who join another customer's household
    lookalike_rate: float = 0.02  # same name as another customer, different person
    mover_rate: float = 0.07  # new phone and/or address at some date
    marriage_rate: float = 0.05  # of women in cultures that change surname on marriage
    email_rate: float = 0.82
    sole_trader_rate: float = 0.08  # Polish persons with a NIP
    payment_class_weights: tuple[float, float, float, float] = (0.55, 0.22, 0.13, 0.10)

    # --- where customers appear ---------------------------------------------------------------------------
    second_sheet_rate: float = 0.08
    duplicate_row_rate: float = 0.02  # the same customer typed twice into one workbook
    stale_rate: float = 0.14  # a workbook row last updated years ago
    stale_after_days: int = 3 * 365
    duplicate_account_rate: float = 0.03  # a second customer code in accounting for the same person
    accounting_only_registered_rate: float = 0.05  # registered in accounting, never invoiced

    # --- per-field mess -----------------------------------------------------------------------------------
    typo_rate: float = 0.03
    nickname_rate: float = 0.06
    swap_names_rate: float = 0.02
    missing_rate: float = 0.04
    sentinel_rate: float = 0.03
    bad_phone_rate: float = 0.015
    bad_email_rate: float = 0.015
    impossible_dob_rate: float = 0.008
    swapped_dob_rate: float = 0.006
    dob_sentinel_rate: float = 0.008

    # --- file-level mess ------------------------------------------------------------------------------------
    blank_row_rate: float = 0.01
    malformed_json_rate: float = 0.006
    wrong_type_rate: float = 0.006

    # --- accounting -------------------------------------------------------------------------------------
    invoice_years: float = 3.0
    bad_tax_id_rate: float = 0.05
    credit_note_rate: float = 0.05
    bad_invoice_number_rate: float = 0.003
    negative_amount_rate: float = 0.002
    payment_before_invoice_rate: float = 0.002
    unknown_invoice_rate: float = 0.004
    duplicate_payment_rate: float = 0.004
    instalment_rate: float = 0.18

    #: Rows per chunk when streaming; bounds memory at any size.
    chunk_rows: int = 20_000
