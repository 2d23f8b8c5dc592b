"""``truth/customers.parquet``: one row per true customer with every latent trait, in native script and Latin.

Written in chunks from the population arrays, with the customer's codes in accounting and where they
appear, so a test can ask "which sources should have linked to C000042" without re-deriving anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from devkit.generator.config import CULTURES, PAYMENT_CLASSES, SCRIPT_OF_CULTURE
from devkit.generator.people import NO_DATE, Population, brand_list, phone_e164
from devkit.generator.person_rows import street_line
from devkit.generator.pools import given_names, places, surnames, vocab
from devkit.generator.profiles import PROFILE_NAMES
from devkit.generator.staff import EMPLOYEES
from devkit.generator.translit import transliterate

COUNTRY_CODES = ("PL", "RU", "US", "IR", "CN")


def _date_array(days: np.ndarray) -> pa.Array:
    missing = days == NO_DATE
    return pa.array(np.where(missing, 0, days).astype("datetime64[D]"), mask=missing)


def write_customers_table(
    path: Path, pop: Population, codes_of: dict[int, list[str]], sources_of: list[list[str]], rows_of: np.ndarray
) -> int:
    """Write customers.parquet; returns the number of customers."""
    gn, sn, pl = given_names(), surnames(), places()
    brands = brand_list()
    cats = vocab()["categories"]
    channels = vocab()["channels"]["codes"]
    writer: pq.ParquetWriter | None = None
    step = 100_000
    for start in range(0, pop.n, step):
        idx = np.arange(start, min(pop.n, start + step))
        female = pop.sex[idx] == 1
        sur, maiden, pat = pop.surname[idx], pop.maiden[idx], pop.patronymic[idx]
        has_maiden = maiden >= 0
        m0, p0 = np.maximum(maiden, 0), np.maximum(pat, 0)
        pat_native = np.asarray(
            np.where(pat >= 0, np.where(female, gn.patronymic_f[p0], gn.patronymic_m[p0]), None), dtype=object
        )
        moved_addr = pop.old_city[idx] >= 0
        oc = np.maximum(pop.old_city[idx], 0)
        company = pop.is_company[idx]
        cols = {
            "customer_id": [pop.customer_id(i) for i in idx.tolist()],
            "culture": np.asarray(CULTURES)[pop.culture[idx]],
            "script": [SCRIPT_OF_CULTURE[CULTURES[c]] for c in pop.culture[idx].tolist()],
            "is_company": company,
            "company_name": pa.array(pop.company_name[idx].astype(str), mask=~company),
            "given_name": gn.native[pop.given[idx]].astype(str),
            "surname": np.where(female, sn.female[sur], sn.male[sur]).astype(str),
            "patronymic": pa.array(pat_native, type=pa.string()),
            "given_name_latin": gn.latin[pop.given[idx]].astype(str),
            "surname_latin": np.where(female, sn.latin_f[sur], sn.latin_m[sur]).astype(str),
            "patronymic_latin": pa.array([transliterate(x) if x else None for x in pat_native.tolist()], pa.string()),
            "previous_surname": pa.array(np.where(female, sn.female[m0], sn.male[m0]).astype(str), mask=~has_maiden),
            "surname_changed_on": _date_array(pop.married_on[idx]),
            "sex": np.where(female, "F", "M"),
            "date_of_birth": _date_array(pop.dob[idx]),
            "phone_e164": [phone_e164(pop, i) for i in idx.tolist()],
            "previous_phone_e164": pa.array([phone_e164(pop, i, old=True) for i in idx.tolist()], pa.string()),
            "moved_on": _date_array(pop.moved_on[idx]),
            "email": pa.array(pop.email[idx].tolist(), pa.string()),
            "street": [_street(pop, i) for i in idx.tolist()],
            "city": pl.city[pop.city[idx]].astype(str),
            "city_latin": pl.city_latin[pop.city[idx]].astype(str),
            "postcode": pop.postcode[idx].astype(str),
            "country": np.asarray(COUNTRY_CODES)[pop.country[idx]],
            "previous_street": pa.array([_street(pop, i, old=True) for i in idx.tolist()], pa.string()),
            "previous_city": pa.array(pl.city[oc].astype(str), mask=~moved_addr),
            "previous_postcode": pa.array(pop.old_postcode[idx].astype(str), mask=~moved_addr),
            "household_id": [f"H{h + 1:0{max(6, len(str(pop.n)))}d}" for h in pop.household[idx].tolist()],
            "lookalike_of": pa.array(
                [pop.customer_id(j) if j >= 0 else None for j in pop.lookalike_of[idx].tolist()], pa.string()
            ),
            "payment_class": np.asarray(PAYMENT_CLASSES)[pop.pay_class[idx]],
            "behaviour_profile": np.asarray(PROFILE_NAMES)[pop.profile[idx]],
            "acquisition_channel": np.asarray(channels)[pop.channel[idx]],
            "preferred_brands": [list(dict.fromkeys(brands[b] for b in row)) for row in pop.brands[idx].tolist()],
            "preferred_categories": [[cats[c] for c in row if c >= 0] for row in pop.categories[idx].tolist()],
            "account_manager": [EMPLOYEES[m].name for m in pop.manager[idx].tolist()],
            "tax_id": pa.array(pop.tax_id[idx].astype(str), mask=pop.tax_id[idx] == ""),
            "customer_since": _date_array(pop.since[idx]),
            "customer_codes": [codes_of.get(i, []) for i in idx.tolist()],
            "sources": [sources_of[i] for i in idx.tolist()],
            "record_rows": rows_of[idx].astype(np.int32),
        }
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    if writer is not None:
        writer.close()
    return pop.n


def _street(pop: Population, i: int, *, old: bool = False) -> str | None:
    if old:
        if pop.old_city[i] < 0:
            return None
        return street_line(
            int(pop.country[i]), int(pop.old_street[i]), int(pop.old_house[i]), int(pop.old_flat[i]), latin=False
        )
    return street_line(int(pop.country[i]), int(pop.street[i]), int(pop.house[i]), int(pop.flat[i]), latin=False)
