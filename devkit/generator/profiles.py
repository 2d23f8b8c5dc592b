"""Latent behaviour profiles: the hidden reasons customers buy, call, complain and score the way they do.

Downstream segmentation is tested against these. Each profile sets rates for every behaviour the
files record (invoices, calls, visits, complaints, survey scores, brands, acquisition channel), so the
profile is recoverable from data, but noisily, as in life.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """One latent behaviour profile."""

    name: str
    weight: float
    buys: float  # probability of having invoices at all
    invoices_per_year: float
    amount_median: float  # PLN
    amount_sigma: float
    sheet_rate: float  # probability of being in the account manager's workbook
    call_rate: float
    calls_mean: float
    visit_rate: float
    visits_mean: float
    complaint_rate: float
    score_mean: float
    brand_tiers: tuple[float, float, float]  # premium, mid, budget
    channels: tuple[float, float, float, float, float]  # radio, newspaper, events, web, referral
    age_mean: float
    since_days: tuple[int, int]  # customer since, days before as_of


# fmt: off
PROFILES: tuple[Profile, ...] = (
    Profile("loyal_regular", 0.18, 0.97, 4.0, 600, 0.6, 0.75, 0.45, 3.0, 0.6, 4.0, 0.04, 4.6,
            (0.4, 0.5, 0.1), (0.10, 0.10, 0.20, 0.20, 0.40), 48, (730, 3650)),
    Profile("big_spender", 0.08, 0.97, 1.5, 5000, 0.7, 0.75, 0.4, 2.0, 0.2, 1.5, 0.08, 4.2,
            (0.8, 0.2, 0.0), (0.05, 0.05, 0.55, 0.15, 0.20), 50, (365, 3650)),
    Profile("bargain_hunter", 0.20, 0.88, 3.0, 150, 0.5, 0.5, 0.2, 1.5, 0.5, 3.0, 0.10, 3.5,
            (0.0, 0.3, 0.7), (0.10, 0.05, 0.05, 0.65, 0.15), 38, (365, 2920)),
    Profile("complainer", 0.08, 0.85, 2.0, 400, 0.6, 0.6, 0.8, 5.0, 0.4, 2.0, 0.60, 2.1,
            (0.3, 0.4, 0.3), (0.25, 0.15, 0.05, 0.45, 0.10), 55, (365, 3650)),
    Profile("occasional", 0.30, 0.65, 0.6, 300, 0.8, 0.55, 0.15, 1.2, 0.2, 1.3, 0.10, 3.8,
            (0.2, 0.5, 0.3), (0.35, 0.35, 0.10, 0.10, 0.10), 60, (730, 3650)),
    Profile("newcomer", 0.16, 0.75, 2.0, 250, 0.6, 0.6, 0.3, 1.5, 0.3, 1.5, 0.10, 4.0,
            (0.2, 0.5, 0.3), (0.05, 0.05, 0.10, 0.50, 0.30), 33, (30, 360)),
)
# fmt: on

PROFILE_NAMES: tuple[str, ...] = tuple(p.name for p in PROFILES)
