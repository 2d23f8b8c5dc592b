"""Where each customer shows up, and when: workbooks, call log, visits journal, accounting.

Each customer appears in 1 to 4 sources (a source may hold several rows of them: calls, visits, a
re-typed duplicate, an outdated row in the archive sheet next to a current one). Every row gets its own
date, which decides the values it carries (a row written before a move shows the old phone) and whether
it is stale. All vectorized: a plan is a pair of arrays (customer index, date) per source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from devkit.generator.config import GenerationSettings
from devkit.generator.people import NO_DATE, Population
from devkit.generator.profiles import PROFILES
from devkit.generator.rng import numpy_rng
from devkit.generator.staff import ANNA, EMPLOYEES, KATARZYNA, PIOTR, WORKBOOKS

MAIN, ARCHIVE = 0, 1
PL_C, RU_C = 0, 1


@dataclass
class Plan:
    """Rows of one source: which customer, on which day, plus source-specific per-row extras."""

    cust: np.ndarray
    when: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cust)


@dataclass
class Appearances:
    """All plans, and which customers buy (have invoices)."""

    workbooks: dict[str, Plan]
    calls: Plan
    visits: Plan
    accounting: Plan  # one row per customer code; extra "dup_account"
    buyer: np.ndarray


def _uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo = lo.astype(np.int64)
    hi = np.maximum(hi.astype(np.int64), lo)
    return np.asarray(lo + (rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64))


def _concat(plans: list[Plan]) -> Plan:
    keys = sorted({k for p in plans for k in p.extra})
    return Plan(
        np.concatenate([p.cust for p in plans]).astype(np.int64),
        np.concatenate([p.when for p in plans]).astype(np.int64),
        {k: np.concatenate([p.extra.get(k, np.zeros(len(p), dtype=np.int64)) for p in plans]) for k in keys},
    )


def plan_appearances(pop: Population, seed: int, settings: GenerationSettings) -> Appearances:
    """Decide every customer's rows in every source."""
    rng = numpy_rng(seed, "appearances")
    s, n, today = settings, pop.n, pop.as_of
    prof = pop.profile
    rate = np.asarray(
        [[p.sheet_rate, p.call_rate, p.calls_mean, p.visit_rate, p.visits_mean, p.buys] for p in PROFILES]
    )
    sheet_rate, call_rate, calls_mean, visit_rate, visits_mean, buys = (rate[prof, j] for j in range(6))
    company = pop.is_company
    primary_wb = np.asarray([WORKBOOKS.index(e.workbook) for e in EMPLOYEES])[pop.manager]
    office = np.isin(pop.manager, [PIOTR, KATARZYNA])
    in_sheet = rng.random(n) < np.where(company, np.where(office, 0.6, 0.0), sheet_rate)
    second = ~company & (rng.random(n) < s.second_sheet_rate)
    calls = rng.random(n) < call_rate
    visits = (pop.country == 0) & (rng.random(n) < visit_rate)
    buyer = np.where(company, True, rng.random(n) < buys)
    registered = buyer | (rng.random(n) < s.accounting_only_registered_rate)
    distinct = in_sheet.astype(int) + second + calls + visits + registered
    in_sheet |= distinct == 0
    too_many = distinct > 4
    visits &= ~too_many

    workbooks = _workbook_plans(rng, pop, s, in_sheet=in_sheet, second=second, primary_wb=primary_wb)
    n_calls = np.where(calls, 1 + rng.poisson(np.maximum(calls_mean - 1, 0)), 0)
    n_visits = np.where(visits, 1 + rng.poisson(np.maximum(visits_mean - 1, 0)), 0)
    call_plan = _events(rng, pop, n_calls, years=5)
    visit_plan = _events(rng, pop, n_visits, years=4)

    reg = np.flatnonzero(registered)
    when = _uniform_days(rng, pop.since[reg], np.full(len(reg), today))
    dup = reg[rng.random(len(reg)) < s.duplicate_account_rate]
    dup_when = _uniform_days(rng, pop.since[dup], np.full(len(dup), today))
    accounting = _concat(
        [
            Plan(reg, when, {"dup_account": np.zeros(len(reg), dtype=np.int64)}),
            Plan(dup, dup_when, {"dup_account": np.ones(len(dup), dtype=np.int64)}),
        ]
    )
    return Appearances(workbooks, call_plan, visit_plan, accounting, buyer)


def _workbook_plans(
    rng: np.random.Generator,
    pop: Population,
    s: GenerationSettings,
    *,
    in_sheet: np.ndarray,
    second: np.ndarray,
    primary_wb: np.ndarray,
) -> dict[str, Plan]:
    today = pop.as_of
    stale_cut = today - s.stale_after_days
    idx = np.flatnonzero(in_sheet)
    since = pop.since[idx].astype(np.int64)
    can_stale = since < stale_cut - 30
    stale = can_stale & (rng.random(len(idx)) < s.stale_rate)
    when = np.where(
        stale,
        _uniform_days(rng, since, np.full(len(idx), stale_cut - 1)),
        _uniform_days(rng, np.maximum(since, stale_cut), np.full(len(idx), today)),
    )
    moved = pop.moved_on[idx]
    pre_move = (moved != NO_DATE) & (moved > since + 1) & (rng.random(len(idx)) < 0.5)
    when = np.where(pre_move, _uniform_days(rng, since, moved.astype(np.int64) - 1), when)
    role = np.where((pop.manager[idx] == ANNA) & (when < stale_cut) & (rng.random(len(idx)) < 0.85), ARCHIVE, MAIN)
    plans = [Plan(idx, when, {"wb": primary_wb[idx], "role": role, "dup": np.zeros(len(idx), dtype=np.int64)})]

    # Anna re-typed some people who moved: the archive keeps the old row, the main sheet gets a new one.
    again = (pop.manager[idx] == ANNA) & pre_move & (rng.random(len(idx)) < 0.6)
    a = idx[again]
    plans.append(
        Plan(
            a,
            _uniform_days(rng, moved[again].astype(np.int64), np.full(len(a), today)),
            {"wb": primary_wb[a], "role": np.full(len(a), MAIN), "dup": np.zeros(len(a), dtype=np.int64)},
        )
    )

    # The same person typed twice into one workbook.
    d = rng.random(len(idx)) < s.duplicate_row_rate
    di = idx[d]
    shift = rng.integers(-200, 200, size=len(di))
    dwhen = np.clip(when[d] + shift, pop.since[di], today)
    plans.append(Plan(di, dwhen, {"wb": primary_wb[di], "role": role[d], "dup": np.ones(len(di), dtype=np.int64)}))

    # A second manager's workbook (Latin names there for foreign customers).
    sec = np.flatnonzero(second)
    culture = pop.culture[sec]
    pw = primary_wb[sec]
    wb_anna, wb_office, wb_irina = (WORKBOOKS.index(w) for w in ("anna_kowalska", "biuro_warszawa", "irina_sokolova"))
    other_pl = np.where(pw == wb_anna, wb_office, wb_anna)
    foreign = np.where(rng.random(len(sec)) < 0.7, wb_anna, wb_office)
    swb = np.select(
        [culture == PL_C, culture == RU_C], [other_pl, np.where(pw == wb_irina, wb_anna, wb_irina)], foreign
    )
    swhen = _uniform_days(rng, pop.since[sec], np.full(len(sec), today))
    plans.append(
        Plan(sec, swhen, {"wb": swb, "role": np.full(len(sec), MAIN), "dup": np.zeros(len(sec), dtype=np.int64)})
    )
    allp = _concat(plans)
    out = {}
    for w, name in enumerate(WORKBOOKS):
        sel = allp.extra["wb"] == w
        out[name] = Plan(allp.cust[sel], allp.when[sel], {k: v[sel] for k, v in allp.extra.items()})
    return out


def _events(rng: np.random.Generator, pop: Population, counts: np.ndarray, *, years: int) -> Plan:
    """Calls or visits: ``counts[i]`` dated events for customer ``i`` with a time of day in minutes."""
    cust = np.repeat(np.arange(pop.n, dtype=np.int64), counts)
    lo = np.maximum(pop.since[cust].astype(np.int64), pop.as_of - years * 365)
    when = _uniform_days(rng, lo, np.full(len(cust), pop.as_of))
    minute = (8 * 60 + rng.integers(0, 10 * 60, size=len(cust))).astype(np.int64)
    return Plan(cust, when, {"minute": minute})
