"""Invoices, credit notes and payments simulated from each customer's latent profile and payment class.

The profile sets how often and how much a customer buys; the payment class sets when they pay:
``on_time`` by the due date (often a few days early), ``slight_delay`` 1-30 days late,
``significant_delay`` 31-120 days late, ``non_payer`` leaves most invoices unpaid (the company stops
selling to them on credit, so their invoices are old). Some invoices are paid in instalments; credit
notes reduce what is owed. All vectorized; only payments are expanded per instalment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from devkit.generator.appearances import Plan
from devkit.generator.config import GenerationSettings
from devkit.generator.people import Population
from devkit.generator.profiles import PROFILES
from devkit.generator.rng import numpy_rng

ON_TIME, SLIGHT, SIGNIFICANT, NON_PAYER = range(4)
CURRENCIES: tuple[str, ...] = ("PLN", "EUR", "USD")
_RATE_TO_PLN = np.asarray([1.0, 4.3, 4.0])


@dataclass
class Billing:
    """Documents (invoices then credit notes) and payments, as parallel arrays."""

    # documents
    cust: np.ndarray
    code_row: np.ndarray  # index into the accounting plan: which customer code the document is issued to
    is_credit: np.ndarray
    year: np.ndarray
    seq: np.ndarray
    issue: np.ndarray  # days
    due: np.ndarray  # days; -1 for credit notes
    amount: np.ndarray  # true signed amount, in the document currency
    currency: np.ndarray  # index into CURRENCIES
    corrects: np.ndarray  # document index of the corrected invoice, -1 none
    net: np.ndarray  # invoices: amount + credits; credit notes: their amount
    paid_amount: np.ndarray
    paid_on: np.ndarray  # day the net amount was fully paid; -1 not paid by as_of
    # payments
    pay_doc: np.ndarray
    pay_day: np.ndarray
    pay_amount: np.ndarray

    @cached_property
    def digits(self) -> int:
        """Digits of a document's number after the year: six, or as many as a company issuing more than 999,999
        documents a year needs (its numbers are all that wide, and its quality.yml says so)."""
        return max(6, len(str(int(self.seq.max())))) if len(self.seq) else 6

    def number(self, i: int) -> str:
        """The canonical number of document ``i``: FV/2025/000123 or FK/2025/000007."""
        return f"{'FK' if self.is_credit[i] else 'FV'}/{self.year[i]}/{self.seq[i]:0{self.digits}d}"


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _sequence(year: np.ndarray, issue: np.ndarray, cust: np.ndarray) -> np.ndarray:
    """Numbers within each year in issue order (1, 2, ...), the way an invoicing system assigns them."""
    order = np.lexsort((cust, issue, year))
    seq = np.empty(len(year), dtype=np.int64)
    ys = year[order]
    start = np.r_[0, np.flatnonzero(np.diff(ys)) + 1]
    run = np.arange(len(ys)) - np.repeat(start, np.diff(np.r_[start, len(ys)]))
    seq[order] = run + 1
    return seq


def simulate_billing(pop: Population, buyer: np.ndarray, accounts: Plan, seed: int, s: GenerationSettings) -> Billing:
    """Simulate three years of invoicing and payments for the buyers."""
    rng = numpy_rng(seed, "billing")
    today = pop.as_of
    buyers = np.flatnonzero(buyer)
    prof = pop.profile[buyers]
    cls = pop.pay_class[buyers]
    start = np.maximum(pop.since[buyers].astype(np.int64), today - int(s.invoice_years * 365))
    end = np.full(len(buyers), today, dtype=np.int64)
    end = np.where(cls == NON_PAYER, np.maximum(start + 1, today - 200), end)
    years = np.maximum(end - start, 1) / 365.0
    rate = np.asarray([p.invoices_per_year for p in PROFILES])[prof]
    count = np.maximum(1, rng.poisson(rate * years))
    cust = np.repeat(buyers, count)
    b = np.repeat(np.arange(len(buyers)), count)
    issue = start[b] + (rng.random(len(cust)) * (end[b] - start[b] + 1)).astype(np.int64)
    company = pop.is_company[cust]
    term_pick = np.repeat(rng.random(len(buyers)), count)
    term = np.where(company, np.where(term_pick < 0.5, 30, 60), np.where(term_pick < 0.7, 14, 30))
    due = issue + term
    median = np.asarray([p.amount_median for p in PROFILES])[pop.profile[cust]] * np.where(company, 3.0, 1.0)
    sigma = np.asarray([p.amount_sigma for p in PROFILES])[pop.profile[cust]]
    currency = _currency(rng, pop, buyers)[b]
    amount = np.round(np.exp(rng.normal(np.log(median), sigma)) / _RATE_TO_PLN[currency], 2)
    amount = np.maximum(amount, 5.0)

    # Credit notes: a part (sometimes all) of an invoice taken back a few days later.
    credited = np.flatnonzero(rng.random(len(cust)) < s.credit_note_rate)
    c_issue = issue[credited] + rng.integers(1, 21, size=len(credited))
    keep = c_issue <= today
    credited, c_issue = credited[keep], c_issue[keep]
    share = np.where(rng.random(len(credited)) < 0.3, 1.0, rng.uniform(0.1, 0.6, size=len(credited)))
    c_amount = -np.round(amount[credited] * share, 2)
    net = amount.copy()
    np.add.at(net, credited, c_amount)
    net = np.round(np.maximum(net, 0.0), 2)

    pay_doc, pay_day, pay_amount, paid_on = _payments(rng, pop, s, cust=cust, issue=issue, due=due, net=net)
    paid_amount = np.zeros(len(cust))
    np.add.at(paid_amount, pay_doc, pay_amount)

    n_inv, n_cred = len(cust), len(credited)
    all_cust = np.concatenate([cust, cust[credited]])
    all_issue = np.concatenate([issue, c_issue])
    is_credit = np.r_[np.zeros(n_inv, dtype=bool), np.ones(n_cred, dtype=bool)]
    year = _year_of(all_issue)
    seq = np.empty(n_inv + n_cred, dtype=np.int64)
    seq[:n_inv] = _sequence(year[:n_inv], all_issue[:n_inv], all_cust[:n_inv])
    seq[n_inv:] = _sequence(year[n_inv:], all_issue[n_inv:], all_cust[n_inv:])
    code_row = _code_rows(rng, all_cust, all_issue, accounts)
    i32 = np.int32
    return Billing(
        cust=all_cust.astype(i32),
        code_row=code_row.astype(i32),
        is_credit=is_credit,
        year=year.astype(np.int16),
        seq=seq.astype(i32),
        issue=all_issue.astype(i32),
        due=np.r_[due, np.full(n_cred, -1)].astype(i32),
        amount=np.r_[amount, c_amount],
        currency=np.r_[currency, currency[credited]].astype(np.int8),
        corrects=np.r_[np.full(n_inv, -1), credited].astype(i32),
        net=np.r_[net, c_amount],
        paid_amount=np.r_[paid_amount, np.zeros(n_cred)],
        paid_on=np.r_[paid_on, np.full(n_cred, -1)].astype(i32),
        pay_doc=pay_doc.astype(i32),
        pay_day=pay_day.astype(i32),
        pay_amount=pay_amount,
    )


def _currency(rng: np.random.Generator, pop: Population, buyers: np.ndarray) -> np.ndarray:
    country = pop.country[buyers]
    u = rng.random(len(buyers))
    return np.select(
        [country == 0, country == 2, country == 1],
        [0, 2, np.where(u < 0.5, 0, 1)],
        np.where(u < 0.6, 1, 2),
    ).astype(np.int64)


def _code_rows(rng: np.random.Generator, cust: np.ndarray, issue: np.ndarray, accounts: Plan) -> np.ndarray:
    """The accounting row (customer code) each document goes to: the main account, or sometimes the duplicate."""
    acc_cust, acc_dup, acc_when = accounts.cust, accounts.extra["dup_account"], accounts.when
    main = np.full(int(acc_cust.max(initial=-1)) + 1, -1, dtype=np.int64)
    main[acc_cust[acc_dup == 0]] = np.flatnonzero(acc_dup == 0)
    dup = np.full(len(main), -1, dtype=np.int64)
    dup[acc_cust[acc_dup == 1]] = np.flatnonzero(acc_dup == 1)
    rows = main[cust]
    alt = dup[cust]
    use_alt = (alt >= 0) & (issue >= acc_when[np.maximum(alt, 0)]) & (rng.random(len(cust)) < 0.4)
    return np.asarray(np.where(use_alt, alt, rows))


def _lateness(rng: np.random.Generator, cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days paid after the due date per invoice, and whether the invoice is ever paid in full."""
    n = len(cls)
    early = -np.minimum(7, rng.exponential(2.0, size=n).astype(np.int64))
    noise = rng.random(n) < 0.005
    on_time = np.where(noise, rng.integers(1, 4, size=n), early)
    late = np.select(
        [cls == ON_TIME, cls == SLIGHT, cls == SIGNIFICANT],
        [on_time, rng.integers(1, 31, size=n), rng.integers(31, 121, size=n)],
        rng.integers(121, 366, size=n),
    )
    pays = (cls != NON_PAYER) | (rng.random(n) < 0.2)
    return late, pays


def _payments(
    rng: np.random.Generator,
    pop: Population,
    s: GenerationSettings,
    *,
    cust: np.ndarray,
    issue: np.ndarray,
    due: np.ndarray,
    net: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    today = pop.as_of
    n = len(cust)
    late, pays = _lateness(rng, pop.pay_class[cust])
    final = np.maximum(due + late, issue + 1)
    pays &= net > 0
    parts = np.where(rng.random(n) < s.instalment_rate, rng.integers(2, 4, size=n), 1)
    # Non-payers sometimes pay a part once and never the rest.
    partial = ~pays & (net > 0) & (rng.random(n) < 0.25)
    doc = np.r_[np.repeat(np.flatnonzero(pays), parts[pays]), np.flatnonzero(partial)]
    paying_parts = parts[pays]
    starts = np.repeat(np.cumsum(paying_parts) - paying_parts, paying_parts)
    k = np.r_[np.arange(int(paying_parts.sum())) - starts, np.zeros(int(partial.sum()), dtype=np.int64)]
    total = np.r_[np.repeat(parts[pays], parts[pays]), np.ones(int(partial.sum()), dtype=np.int64)]
    is_partial = np.r_[np.zeros(len(doc) - int(partial.sum()), dtype=bool), np.ones(int(partial.sum()), dtype=bool)]
    last = k == total - 1
    span = np.maximum(final[doc] - issue[doc] - 1, 0)
    frac = (k + 1) / total
    day = np.where(last & ~is_partial, final[doc], issue[doc] + 1 + (span * frac * 0.8).astype(np.int64))
    day = np.where(is_partial, due[doc] + rng.integers(0, 61, size=len(doc)), day)
    share = np.where(is_partial, rng.uniform(0.2, 0.5, size=len(doc)), 1.0 / total)
    amount = np.round(net[doc] * share, 2)
    # The last instalment pays the exact remainder.
    if len(doc):
        paid_before = np.zeros(n)
        np.add.at(paid_before, doc[~last], amount[~last])
        amount = np.where(last & ~is_partial, np.round(net[doc] - paid_before[doc], 2), amount)
    happened = day <= today
    doc, day, amount = doc[happened], day[happened], amount[happened]
    paid_on = np.where(pays & (final <= today), final, -1)
    return doc.astype(np.int64), day.astype(np.int64), amount, paid_on.astype(np.int64)
