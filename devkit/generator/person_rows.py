"""A customer as they were on a given date: the values one written row should carry before any mess.

A record written in 2021 carries the phone, address and surname the person had in 2021. That is what
makes movers and marriages realistic and what the truth's per-row values (``rows.parquet``) describe.
Values are materialized for a chunk of rows at once, as plain Python lists for the writing loops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from devkit.generator.people import NO_DATE, Population, to_date
from devkit.generator.phones import CALLING_CODE
from devkit.generator.pools import given_names, places, surnames


@dataclass
class PersonRows:
    """Per-row values of the customers behind a chunk of written rows (all lists of equal length)."""

    index: list[int]
    customer_id: list[str]
    culture: list[int]
    sex: list[int]
    is_company: list[bool]
    given_idx: list[int]
    surname_idx: list[int]  # as of the row's date (maiden before marriage)
    patronymic_idx: list[int]
    given_native: list[str]
    given_latin: list[str]
    surname_native: list[str]
    surname_latin: list[str]
    patronymic_native: list[str]
    dob: list[dt.date | None]
    phone_cc: list[int]
    phone_nsn: list[int]
    phone_e164: list[str]
    email: list[str | None]
    country: list[int]
    city_idx: list[int]
    street_idx: list[int]
    house: list[int]
    flat: list[int]
    postcode: list[str]
    is_current: list[bool]  # phone, address and surname are the customer's current ones
    profile: list[int]
    pay_class: list[int]
    channel: list[int]
    brands: list[list[int]]
    categories: list[list[int]]
    manager: list[int]
    company_name: list[str]
    tax_id: list[str]
    tax_kind: list[int]

    def __len__(self) -> int:
        return len(self.index)


def person_rows(pop: Population, cust: np.ndarray, when: np.ndarray) -> PersonRows:
    """The customers ``cust`` as of the days ``when`` (one row each)."""
    cust = np.asarray(cust, dtype=np.int64)
    when = np.asarray(when, dtype=np.int64)
    gn, sn = given_names(), surnames()
    before_wedding = (pop.maiden[cust] >= 0) & (when < pop.married_on[cust])
    sur = np.where(before_wedding, pop.maiden[cust], pop.surname[cust])
    moved = (pop.moved_on[cust] != NO_DATE) & (when < pop.moved_on[cust])
    old_phone = moved & (pop.old_phone_nsn[cust] >= 0)
    nsn = np.where(old_phone, pop.old_phone_nsn[cust], pop.phone_nsn[cust])
    old_addr = moved & (pop.old_city[cust] >= 0)

    def pick(cur: np.ndarray, old: np.ndarray) -> np.ndarray:
        return np.asarray(np.where(old_addr, old[cust], cur[cust]))

    female = pop.sex[cust] == 1
    pat = pop.patronymic[cust]
    pat_native = np.where(
        pat >= 0, np.where(female, gn.patronymic_f[np.maximum(pat, 0)], gn.patronymic_m[np.maximum(pat, 0)]), ""
    )
    cc = pop.phone_cc[cust]
    dob_days = pop.dob[cust]
    ids = [pop.customer_id(i) for i in cust.tolist()]
    return PersonRows(
        index=cust.tolist(),
        customer_id=ids,
        culture=pop.culture[cust].tolist(),
        sex=pop.sex[cust].tolist(),
        is_company=pop.is_company[cust].tolist(),
        given_idx=pop.given[cust].tolist(),
        surname_idx=sur.tolist(),
        patronymic_idx=pat.tolist(),
        given_native=gn.native[pop.given[cust]].tolist(),
        given_latin=gn.latin[pop.given[cust]].tolist(),
        surname_native=np.where(female, sn.female[sur], sn.male[sur]).tolist(),
        surname_latin=np.where(female, sn.latin_f[sur], sn.latin_m[sur]).tolist(),
        patronymic_native=pat_native.tolist(),
        dob=[None if d == NO_DATE else to_date(d) for d in dob_days.tolist()],
        phone_cc=cc.tolist(),
        phone_nsn=nsn.tolist(),
        phone_e164=[f"+{CALLING_CODE[c]}{n}" for c, n in zip(cc.tolist(), nsn.tolist(), strict=True)],
        email=pop.email[cust].tolist(),
        country=pop.country[cust].tolist(),
        city_idx=pick(pop.city, pop.old_city).tolist(),
        street_idx=pick(pop.street, pop.old_street).tolist(),
        house=pick(pop.house, pop.old_house).tolist(),
        flat=pick(pop.flat, pop.old_flat).tolist(),
        postcode=pick(pop.postcode, pop.old_postcode).tolist(),
        is_current=(~(before_wedding | old_phone | old_addr)).tolist(),
        profile=pop.profile[cust].tolist(),
        pay_class=pop.pay_class[cust].tolist(),
        channel=pop.channel[cust].tolist(),
        brands=pop.brands[cust].tolist(),
        categories=pop.categories[cust].tolist(),
        manager=pop.manager[cust].tolist(),
        company_name=pop.company_name[cust].tolist(),
        tax_id=pop.tax_id[cust].tolist(),
        tax_kind=pop.tax_kind[cust].tolist(),
    )


def city_name(idx: int, *, latin: bool) -> str:
    """A city's native or Latin name."""
    pl = places()
    return str(pl.city_latin[idx] if latin else pl.city[idx])


def street_line(country: int, street_idx: int, house: int, flat: int, *, latin: bool, style: int = 0) -> str:
    """The street part of an address as people of that country write it."""
    pl = places()
    street = str(pl.street_latin[street_idx] if latin else pl.street[street_idx])
    if country == 2:  # US
        return f"{house} {street}" + (f" Apt {flat}" if flat else "")
    if country == 0:  # PL
        flat_part = "" if not flat else f"/{flat}" if style % 2 == 0 else f" m. {flat}"
        return f"{street} {house}{flat_part}"
    if latin:
        return f"{street} {house}" + (f"-{flat}" if flat else "")
    native = {
        1: (f"{street}, д. {house}", f", кв. {flat}"),
        3: (f"{street}، پلاک {house}", f"، واحد {flat}"),
        4: (f"{street}{house}号", f"{flat}室"),
    }
    head, flat_text = native[country]
    return head + (flat_text if flat else "")
