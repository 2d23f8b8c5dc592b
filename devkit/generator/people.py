"""The true customers: a population drawn as numpy arrays, with the life events that make data messy.

Everything is an index or a number (name indices into the pools, phone numbers as integers, dates as
days since 1970) so a million customers fit in memory and are drawn in a second. Strings are only made
when a row is written (see ``person_rows``), except e-mails, which must be unique and so are built once.

Life events drawn here, each kept exactly in the truth: households (same surname and address, different
people), look-alikes (same name, different person), movers (new phone and/or address from a date on),
marriages (new surname from a date on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from devkit.generator import taxids
from devkit.generator.config import CULTURES, GenerationSettings
from devkit.generator.phones import CALLING_CODE, generate_numbers
from devkit.generator.pools import ascii_fold, given_names, places, surnames, vocab
from devkit.generator.profiles import PROFILES
from devkit.generator.rng import numpy_rng, python_rng
from devkit.generator.staff import ANNA, IRINA, JOHN, KATARZYNA, LI, PIOTR, REZA

EPOCH = dt.date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).min
PL_C, RU_C, EN_C, FA_C, ZH_C = range(5)
PL, RU, US, IR, CN = range(5)
#: Residence country weights per culture (PL, RU, US, IR, CN).
_RESIDENCE = {
    PL_C: (1.0, 0, 0, 0, 0),
    RU_C: (0.35, 0.65, 0, 0, 0),
    EN_C: (0.08, 0, 0.92, 0, 0),
    FA_C: (0.3, 0, 0, 0.7, 0),
    ZH_C: (0.3, 0, 0, 0, 0.7),
}
_WARSAW_AREA = {"Warszawa", "Piaseczno", "Pruszków", "Legionowo"}
TAX_NONE, TAX_NIP, TAX_INN, TAX_EU_VAT, TAX_EIN = range(5)
_EMAIL_PATTERNS = np.asarray([0.35, 0.12, 0.10, 0.08, 0.12, 0.08, 0.07, 0.08])


def to_days(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


@lru_cache(maxsize=1 << 16)
def to_date(days: int) -> dt.date:
    """The date ``days`` after 1970-01-01 (cached: files repeat a few thousand distinct days)."""
    return EPOCH + dt.timedelta(days=int(days))


def _obj(n: int, fill: str = "") -> np.ndarray:
    arr = np.empty(n, dtype=object)
    arr[:] = fill
    return arr


@dataclass
class Population:
    """All true customers as parallel arrays (index = customer number - 1)."""

    n: int
    as_of: int  # days
    culture: np.ndarray
    sex: np.ndarray  # 0 = M, 1 = F
    is_company: np.ndarray
    given: np.ndarray  # index into given_names()
    surname: np.ndarray  # index into surnames(); the current surname
    patronymic: np.ndarray  # index into given_names() of the father, -1 none
    maiden: np.ndarray  # surname index before marriage, -1 none
    married_on: np.ndarray  # days, NO_DATE none
    dob: np.ndarray  # days, NO_DATE for companies
    phone_cc: np.ndarray
    phone_nsn: np.ndarray
    old_phone_cc: np.ndarray
    old_phone_nsn: np.ndarray  # -1: the phone never changed
    moved_on: np.ndarray  # days, NO_DATE: never moved
    email: np.ndarray  # object: str or None
    country: np.ndarray
    city: np.ndarray
    street: np.ndarray
    house: np.ndarray
    flat: np.ndarray  # 0: a house, no flat number
    postcode: np.ndarray  # object
    old_city: np.ndarray  # -1: the address never changed
    old_street: np.ndarray
    old_house: np.ndarray
    old_flat: np.ndarray
    old_postcode: np.ndarray
    household: np.ndarray  # index of the household head (self if none)
    lookalike_of: np.ndarray  # index of the customer whose name this one shares, -1 none
    profile: np.ndarray
    pay_class: np.ndarray
    channel: np.ndarray
    brands: np.ndarray  # (n, 2) indices into brand_list()
    categories: np.ndarray  # (n, 2) indices into vocab categories, -1 none
    manager: np.ndarray
    since: np.ndarray  # days
    company_name: np.ndarray  # object, '' for persons
    tax_id: np.ndarray  # object, '' none (digits/letters, unformatted)
    tax_kind: np.ndarray

    @cached_property
    def _id_width(self) -> int:
        return max(6, len(str(self.n)))

    def customer_id(self, i: int) -> str:
        """The stable id of customer ``i`` (0-based): C000001."""
        return f"C{i + 1:0{self._id_width}d}"


def brand_list() -> list[str]:
    """All brands: premium, then mid, then budget."""
    b = vocab()["brands"]
    return [*b["premium"], *b["mid"], *b["budget"]]


def _draw_within(
    rng: np.random.Generator, keys: np.ndarray, groups: dict[int, np.ndarray], weights: dict[int, np.ndarray]
) -> np.ndarray:
    out = np.full(len(keys), -1, dtype=np.int32)
    for key, members in groups.items():
        sel = np.flatnonzero(keys == key)
        if len(sel):
            out[sel] = rng.choice(members, size=len(sel), p=weights[key])
    return out


def _draw_given(rng: np.random.Generator, culture: np.ndarray, sex: np.ndarray) -> np.ndarray:
    g = given_names()
    out = np.full(len(culture), -1, dtype=np.int32)
    for (c, s), members in g.groups.items():
        sel = np.flatnonzero((culture == c) & (sex == s))
        if len(sel):
            out[sel] = rng.choice(members, size=len(sel), p=g.weights[(c, s)])
    return out


def _draw_surname(rng: np.random.Generator, culture: np.ndarray) -> np.ndarray:
    s = surnames()
    return _draw_within(rng, culture, s.groups, s.weights)


def _draw_address(
    rng: np.random.Generator, country: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    pl = places()
    n = len(country)
    city = _draw_within(rng, country, pl.groups, pl.weights)
    street = np.full(n, -1, dtype=np.int32)
    for ci, members in pl.street_groups.items():
        sel = np.flatnonzero(country == ci)
        if len(sel):
            street[sel] = rng.choice(members, size=len(sel))
    house = rng.integers(1, 160, size=n).astype(np.int16)
    flat = np.where(rng.random(n) < 0.6, rng.integers(1, 90, size=n), 0).astype(np.int16)
    postcode = _obj(n)
    fill = rng.integers(0, 10**8, size=n)
    for i in range(n):
        prefixes = pl.postcode_prefixes[city[i]]
        pre = prefixes[int(fill[i]) % len(prefixes)]
        postcode[i] = _postcode(int(country[i]), pre, int(fill[i]))
    return city, street, house, flat, postcode


def _postcode(country: int, prefix: str, fill: int) -> str:
    if country == PL:
        d = prefix + f"{fill % 1000:03d}"
        return f"{d[:2]}-{d[2:]}"
    if country == US:
        return prefix + f"{fill % 100:02d}"
    if country == IR:
        d = prefix + f"{fill % 10**8:08d}"
        return f"{d[:5]}-{d[5:]}"
    return prefix + f"{fill % 1000:03d}"  # RU, CN: six digits


def _unique_phones(rng: np.random.Generator, pop_cc: np.ndarray, pop_city: np.ndarray, nsn: np.ndarray) -> None:
    """Redraw numbers until no two customers (current or old numbers) share one."""
    for _ in range(20):
        key = pop_cc.astype(np.int64) * 10**12 + nsn
        valid = nsn >= 0
        s = pd.Series(key[valid])
        dup_pos = np.flatnonzero(valid)[s.duplicated().to_numpy()]
        if not len(dup_pos):
            return
        nsn[dup_pos] = generate_numbers(rng, pop_cc[dup_pos], pop_city[dup_pos])


def generate_population(n: int, seed: int, as_of: dt.date, settings: GenerationSettings) -> Population:
    """Draw ``n`` true customers with every latent trait and life event, reproducibly from ``seed``."""
    rng = numpy_rng(seed, "people")
    today = to_days(as_of)
    s = settings
    culture = rng.choice(len(CULTURES), size=n, p=np.asarray(s.culture_weights) / sum(s.culture_weights))
    culture = culture.astype(np.int8)
    is_company = rng.random(n) < s.company_rate
    culture[is_company] = rng.choice([PL_C, RU_C, EN_C], size=int(is_company.sum()), p=[0.7, 0.15, 0.15])
    sex = rng.integers(0, 2, size=n).astype(np.int8)
    person = ~is_company
    profile = rng.choice(len(PROFILES), size=n, p=np.asarray([p.weight for p in PROFILES])).astype(np.int8)
    pw = np.asarray(s.payment_class_weights)
    pay_class = rng.choice(4, size=n, p=pw / pw.sum()).astype(np.int8)
    payer = pw[:3] / pw[:3].sum()
    redraw = rng.choice(3, size=n, p=payer).astype(np.int8)

    # Households: some people join another person's household (same culture, surname, address).
    member = person & (rng.random(n) < s.household_member_rate)
    heads_pool = np.flatnonzero(person & ~member)
    household = np.arange(n, dtype=np.int32)
    if len(heads_pool):
        household[member] = rng.choice(heads_pool, size=int(member.sum()))
    else:
        member[:] = False
    heads = household[member]
    culture[member] = culture[heads]

    residence = np.zeros(n, dtype=np.int8)
    for c, w in _RESIDENCE.items():
        sel = np.flatnonzero(culture == c)
        residence[sel] = rng.choice(5, size=len(sel), p=np.asarray(w) / sum(w))
    residence[member] = residence[heads]
    city, street, house, flat, postcode = _draw_address(rng, residence)
    for arr in (city, street, house, flat, postcode):
        arr[member] = arr[heads]

    given = _draw_given(rng, culture, sex)
    surname = _draw_surname(rng, culture)
    surname[member] = surname[heads]
    gn = given_names()
    patronymic = np.full(n, -1, dtype=np.int32)
    ru = np.flatnonzero(culture == RU_C)
    patronymic[ru] = rng.choice(gn.groups[(RU_C, 0)], size=len(ru), p=gn.weights[(RU_C, 0)])

    # Age and customer-since by profile.
    age_mean = np.asarray([p.age_mean for p in PROFILES])[profile]
    age_days = (np.clip(rng.normal(age_mean, 13.0), 19, 89) * 365.25).astype(np.int32)
    dob = (today - age_days - rng.integers(0, 365, size=n)).astype(np.int32)
    lo = np.asarray([p.since_days[0] for p in PROFILES])[profile]
    hi = np.asarray([p.since_days[1] for p in PROFILES])[profile]
    since = (today - (lo + rng.random(n) * (hi - lo))).astype(np.int32)
    since = np.maximum(since, dob + int(18 * 365.25))
    # Nobody is known as a non-payer before a year of invoices: the company stops their credit after that.
    recent = (pay_class == 3) & (since > today - 400)
    pay_class[recent] = redraw[recent]
    dob[is_company] = NO_DATE

    # Look-alikes: a different person carrying another customer's exact name.
    lookalike_of = np.full(n, -1, dtype=np.int32)
    free = person & ~member & (household == np.arange(n))
    la = free & (rng.random(n) < s.lookalike_rate)
    for c in range(len(CULTURES)):
        for sx in (0, 1):
            group = np.flatnonzero(free & (culture == c) & (sex == sx) & ~la)
            sel = np.flatnonzero(la & (culture == c) & (sex == sx))
            if not len(sel) or len(group) < 2:
                continue
            src = rng.choice(group, size=len(sel))
            lookalike_of[sel] = src
            given[sel], surname[sel], patronymic[sel] = given[src], surname[src], patronymic[src]
            same = dob[sel] == dob[src]
            dob[sel[same]] += rng.integers(30, 4000, size=int(same.sum())).astype(np.int32)

    # Marriages: a woman's surname changes at a date; older records carry the maiden name.
    maiden = np.full(n, -1, dtype=np.int32)
    married_on = np.full(n, NO_DATE, dtype=np.int32)
    wed = person & (sex == 1) & np.isin(culture, [PL_C, RU_C, EN_C]) & (rng.random(n) < s.marriage_rate)
    wed &= lookalike_of < 0
    wed_idx = np.flatnonzero(wed)
    maiden[wed_idx] = _draw_surname(rng, culture[wed_idx])
    clash = maiden[wed_idx] == surname[wed_idx]
    maiden[wed_idx[clash]] = -1
    wed_idx = wed_idx[~clash]
    start = np.maximum(since[wed_idx], today - 8 * 365)
    married_on[wed_idx] = (start + rng.random(len(wed_idx)) * np.maximum(today - 30 - start, 1)).astype(np.int32)

    # Phones, then movers (new phone and/or address from a date on).
    nsn = generate_numbers(rng, residence, city)
    phone_cc = residence.copy()
    in_household = np.isin(np.arange(n), household[member]) | member
    mover = np.flatnonzero(person & ~in_household & (rng.random(n) < s.mover_rate))
    kind = rng.choice(3, size=len(mover), p=[0.35, 0.25, 0.40])  # phone / address / both
    moved_on = np.full(n, NO_DATE, dtype=np.int32)
    start = np.maximum(since[mover] + 60, today - 6 * 365)
    moved_on[mover] = (start + rng.random(len(mover)) * np.maximum(today - 30 - start, 1)).astype(np.int32)
    old_phone_nsn = np.full(n, -1, dtype=np.int64)
    new_phone = mover[kind != 1]
    old_phone_nsn[new_phone] = generate_numbers(rng, residence[new_phone], city[new_phone])
    both = np.concatenate([nsn, old_phone_nsn])
    _unique_phones(rng, np.concatenate([phone_cc, phone_cc]), np.concatenate([city, city]), both)
    nsn, old_phone_nsn = both[:n], both[n:]
    old_city = np.full(n, -1, dtype=np.int32)
    old_street = np.full(n, -1, dtype=np.int32)
    old_house = np.zeros(n, dtype=np.int16)
    old_flat = np.zeros(n, dtype=np.int16)
    old_postcode = _obj(n)
    new_addr = mover[kind != 0]
    oc, os_, oh, of, op = _draw_address(rng, residence[new_addr])
    old_city[new_addr], old_street[new_addr], old_house[new_addr] = oc, os_, oh
    old_flat[new_addr], old_postcode[new_addr] = of, op

    manager = _assign_managers(rng, culture, is_company, city)
    prof_channels = np.asarray([p.channels for p in PROFILES])
    channel = (rng.random(n)[:, None] > np.cumsum(prof_channels[profile], axis=1)).sum(axis=1).astype(np.int8)
    channel = np.minimum(channel, 4)
    brands = _draw_brands(rng, profile)
    ncat = len(vocab()["categories"])
    categories = rng.integers(0, ncat, size=(n, 2)).astype(np.int8)
    categories[rng.random(n) < 0.5, 1] = -1

    company_name, tax_id, tax_kind = _companies_and_tax(seed, culture, is_company, surname, s)
    email = _emails(
        seed,
        rng,
        s,
        culture=culture,
        sex=sex,
        given=given,
        surname=surname,
        maiden=maiden,
        dob=dob,
        is_company=is_company,
        company_name=company_name,
        residence=residence,
    )
    return Population(
        n=n,
        as_of=today,
        culture=culture,
        sex=sex,
        is_company=is_company,
        given=given,
        surname=surname,
        patronymic=patronymic,
        maiden=maiden,
        married_on=married_on,
        dob=dob,
        phone_cc=phone_cc,
        phone_nsn=nsn,
        old_phone_cc=phone_cc.copy(),
        old_phone_nsn=old_phone_nsn,
        moved_on=moved_on,
        email=email,
        country=residence,
        city=city,
        street=street,
        house=house,
        flat=flat,
        postcode=postcode,
        old_city=old_city,
        old_street=old_street,
        old_house=old_house,
        old_flat=old_flat,
        old_postcode=old_postcode,
        household=household,
        lookalike_of=lookalike_of,
        profile=profile,
        pay_class=pay_class,
        channel=channel,
        brands=brands,
        categories=categories,
        manager=manager,
        since=since,
        company_name=company_name,
        tax_id=tax_id,
        tax_kind=tax_kind,
    )


def _assign_managers(
    rng: np.random.Generator, culture: np.ndarray, is_company: np.ndarray, city: np.ndarray
) -> np.ndarray:
    n = len(culture)
    warsaw = np.isin(places().city[city], list(_WARSAW_AREA))
    u = rng.random(n)
    office = np.where(rng.random(n) < 0.5, PIOTR, KATARZYNA)
    pl_mgr = np.where(warsaw, np.where(u < 0.85, office, ANNA), np.where(u < 0.9, ANNA, office))
    out = np.select(
        [culture == PL_C, culture == RU_C, culture == EN_C, culture == FA_C],
        [pl_mgr, np.where(u < 0.85, IRINA, ANNA), JOHN, REZA],
        LI,
    )
    out = np.where(is_company & (culture == RU_C), IRINA, out)
    return out.astype(np.int8)


def _draw_brands(rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
    b = vocab()["brands"]
    sizes = [len(b["premium"]), len(b["mid"]), len(b["budget"])]
    offsets = np.cumsum([0, *sizes[:-1]])
    tiers = np.asarray([p.brand_tiers for p in PROFILES])[profile]
    out = np.zeros((len(profile), 2), dtype=np.int16)
    for k in range(2):
        tier = (rng.random(len(profile))[:, None] > np.cumsum(tiers, axis=1)).sum(axis=1)
        tier = np.minimum(tier, 2)
        within = rng.integers(0, 10**6, size=len(profile)) % np.asarray(sizes)[tier]
        out[:, k] = offsets[tier] + within
    return out


def _companies_and_tax(
    seed: int, culture: np.ndarray, is_company: np.ndarray, surname: np.ndarray, s: GenerationSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(culture)
    name, tax, kind = _obj(n), _obj(n), np.zeros(n, dtype=np.int8)
    rng = python_rng(seed, "companies")
    comp = vocab()["companies"]
    sn = surnames()
    for i in np.flatnonzero(is_company).tolist():
        lang = CULTURES[int(culture[i])]
        spec = comp[lang]
        pattern = rng.choice(spec["patterns"])
        name[i] = pattern.format(surname=sn.male[surname[i]], word=rng.choice(spec["words"]))
        if lang == "pl":
            tax[i], kind[i] = taxids.new_nip(rng), TAX_NIP
        elif lang == "ru":
            tax[i], kind[i] = taxids.new_inn(rng, person=pattern.startswith("ИП")), TAX_INN
        elif rng.random() < 0.5:
            tax[i], kind[i] = taxids.new_eu_vat(rng), TAX_EU_VAT
        else:
            tax[i], kind[i] = taxids.new_ein(rng), TAX_EIN
    for i in np.flatnonzero(~is_company & (culture == PL_C)).tolist():
        if rng.random() < s.sole_trader_rate:
            tax[i], kind[i] = taxids.new_nip(rng), TAX_NIP
    return name, tax, kind


def _emails(
    seed: int,
    rng: np.random.Generator,
    s: GenerationSettings,
    *,
    culture: np.ndarray,
    sex: np.ndarray,
    given: np.ndarray,
    surname: np.ndarray,
    maiden: np.ndarray,
    dob: np.ndarray,
    is_company: np.ndarray,
    company_name: np.ndarray,
    residence: np.ndarray,
) -> np.ndarray:
    """Unique e-mail addresses built from the names (some from the maiden name, some QQ numbers)."""
    n = len(culture)
    gn, sn = given_names(), surnames()
    has = np.where(is_company, rng.random(n) < 0.95, rng.random(n) < s.email_rate)
    pattern = rng.choice(len(_EMAIL_PATTERNS), size=n, p=_EMAIL_PATTERNS / _EMAIL_PATTERNS.sum())
    number = rng.integers(1, 9999, size=n)
    use_maiden = (maiden >= 0) & (rng.random(n) < 0.5)
    domains = vocab()["email_domains"]
    countries = ("PL", "RU", "US", "IR", "CN")
    dom_pick = rng.integers(0, 10**6, size=n)
    locals_ = vocab()["company_email_locals"]
    fem_ascii = {}
    out = _obj(n)
    out[:] = None
    py = python_rng(seed, "emails")
    for i in np.flatnonzero(has).tolist():
        doms = domains[countries[residence[i]]]
        dom = doms[int(dom_pick[i]) % len(doms)]
        if is_company[i]:
            words = [ascii_fold(w) for w in str(company_name[i]).split()]
            words = [w for w in words if len(w) > 2 and w not in {"llc", "inc", "ltd", "sp", "ooo"}] or ["firma"]
            tld = {PL_C: "pl", RU_C: "ru"}.get(int(culture[i]), "com")
            out[i] = f"{py.choice(locals_)}@{words[0]}.{tld}"
            continue
        if dom == "qq.com":
            out[i] = f"{py.randrange(10**5, 10**10)}@qq.com"
            continue
        g = gn.ascii[given[i]]
        sidx = int(maiden[i] if use_maiden[i] else surname[i])
        if sex[i] == 1:
            if sidx not in fem_ascii:
                fem_ascii[sidx] = ascii_fold(str(sn.latin_f[sidx]))
            sur = fem_ascii[sidx]
        else:
            sur = sn.ascii_m[sidx]
        yy = f"{to_date(int(dob[i])).year % 100:02d}"
        local = (
            f"{g}.{sur}",
            f"{g}{sur}",
            f"{g[:1]}.{sur}",
            f"{sur}.{g}",
            f"{g}.{sur}{yy}",
            f"{g}{number[i]}",
            f"{sur}{number[i]}",
            f"{g}_{sur}",
        )[int(pattern[i])]
        out[i] = f"{local}@{dom}"
    for _ in range(20):
        ser = pd.Series(out)
        dup = np.flatnonzero(ser.duplicated().to_numpy() & ser.notna().to_numpy())
        if not len(dup):
            break
        for i in dup.tolist():
            local, dom = str(out[i]).split("@", 1)
            out[i] = f"{local}{py.randrange(2, 999)}@{dom}"
    return out


def phone_e164(pop: Population, i: int, *, old: bool = False) -> str | None:
    """A customer's current (or previous) phone in E.164."""
    nsn = int(pop.old_phone_nsn[i] if old else pop.phone_nsn[i])
    if nsn < 0:
        return None
    return f"+{CALLING_CODE[int(pop.phone_cc[i])]}{nsn}"
