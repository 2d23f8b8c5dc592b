"""The accounting exports: customers (codes, tax ids), invoices and credit notes, payments.

These are machine exports (UTF-8 with BOM, ``,``, ISO dates) so their mess is different: customers
registered twice under two codes, addresses sometimes in one field, mistyped tax ids, a few malformed
invoice numbers, invoices exported with a negative amount, duplicated payment rows, payments to invoice
numbers that do not exist and payments dated before their invoice.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from devkit.generator import taxids
from devkit.generator.appearances import Plan
from devkit.generator.billing import CURRENCIES, Billing
from devkit.generator.config import PAYMENT_CLASSES, GenerationSettings
from devkit.generator.context import WriteContext
from devkit.generator.mess import Forced
from devkit.generator.name_forms import NamePolicy
from devkit.generator.people import TAX_NIP, Population, to_date
from devkit.generator.person_rows import person_rows
from devkit.generator.records import RecordRenderer, SourceStyle
from devkit.generator.rng import python_rng
from devkit.generator.truth import Loc

CUSTOMERS = "accounting/customers.csv"
INVOICES = "accounting/invoices.csv"
PAYMENTS = "accounting/payments.csv"
CUSTOMER_HEADERS = (
    "Kod klienta",
    "Typ",
    "Nazwa",
    "Imię",
    "Nazwisko",
    "NIP/VAT",
    "Adres",
    "Ulica",
    "Kod pocztowy",
    "Miejscowość",
    "Kraj",
    "Telefon",
    "E-mail",
    "Data modyfikacji",
)
INVOICE_HEADERS = (
    "Numer",
    "Rodzaj",
    "Kod klienta",
    "Data wystawienia",
    "Termin płatności",
    "Kwota brutto",
    "Waluta",
    "Dotyczy faktury",
)
PAYMENT_HEADERS = ("Id płatności", "Data wpłaty", "Numer faktury", "Kod klienta", "Kwota", "Waluta")
ACC_STYLE = SourceStyle(
    lang="pl",
    region=0,
    names=NamePolicy(
        native=(1.0, 0.0, 1.0, 0.0, 0.0), ru_schemes=(("pl", 0.5), ("en", 0.3), ("en_off", 0.2)), fold_diacritics=0.05
    ),
    phone_styles=(
        ("e164", 0.3),
        ("intl_spaced", 0.2),
        ("national_spaced", 0.2),
        ("national_digits", 0.1),
        ("intl_00", 0.1),
        ("intl_digits", 0.1),
    ),
    phone_float=0.05,
    latin_address=True,
    email_scale=0.7,
)
_FIELDS = ("given_name", "surname", "phone", "email", "address", "street", "postcode", "city", "country", "company")


def customer_codes(plan: Plan, pop: Population) -> np.ndarray:
    """Customer code per accounting row (K00001 ...), numbered in order of registration."""
    registered = np.where(plan.extra["dup_account"] == 1, plan.when, pop.since[plan.cust])
    order = np.lexsort((plan.cust, registered))
    number = np.empty(len(plan), dtype=np.int64)
    number[order] = np.arange(1, len(plan) + 1)
    width = max(5, len(str(len(plan))))
    return np.asarray([f"K{x:0{width}d}" for x in number.tolist()], dtype=object)


def write_customers(ctx: WriteContext, plan: Plan, codes: np.ndarray) -> int:
    """Write accounting/customers.csv in code order; returns the number of rows."""
    out_dir, pop, sink, seed, s = ctx.out_dir, ctx.pop, ctx.sink, ctx.seed, ctx.settings
    path = out_dir / CUSTOMERS
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = python_rng(seed, "accounting_customers")
    renderer = RecordRenderer(ACC_STYLE, rng, s, to_date(pop.as_of))
    loc = Loc("accounting_customers", CUSTOMERS)
    stale_cut = pop.as_of - s.stale_after_days
    order = np.argsort(codes.astype(str), kind="stable")
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(CUSTOMER_HEADERS)
        for start in range(0, len(order), s.chunk_rows):
            rows = order[start : start + s.chunk_rows]
            p = person_rows(pop, plan.cust[rows], plan.when[rows])
            for k in range(len(p)):
                day = int(plan.when[rows[k]])
                out = renderer.render(p, k, _FIELDS, to_date(day))
                v = out.values
                one_field = rng.random() < 0.4
                tax = _tax_cell(p.tax_id[k], p.tax_kind[k], rng, s, out.defects)
                stamp = dt.datetime.combine(to_date(day), dt.time(rng.randrange(7, 18), rng.randrange(60), 0))
                person_name = v["company"] is None or rng.random() < 0.5
                cells: list[Any] = [
                    codes[rows[k]],
                    "firma" if p.is_company[k] else "osoba",
                    v["company"] or (f"{v['given_name'] or ''} {v['surname']}".strip() if rng.random() < 0.3 else None),
                    v["given_name"] if person_name else None,
                    v["surname"] if person_name else None,
                    tax,
                    v["address"] if one_field else None,
                    None if one_field else v["street"],
                    None if one_field else v["postcode"],
                    None if one_field else v["city"],
                    v["country"],
                    v["phone"],
                    v["email"],
                    stamp.strftime("%Y-%m-%d %H:%M:%S"),
                ]
                w.writerow(["" if c is None else c for c in cells])
                n += 1
                cid = p.customer_id[k]
                sink.row(
                    loc,
                    n,
                    "record",
                    customer_id=cid,
                    record_date=to_date(day),
                    phone=p.phone_e164[k],
                    email=p.email[k],
                    names=(p.given_native[k], p.surname_native[k]),
                    phone_ok=out.phone_ok,
                    email_ok=out.email_ok,
                    name_variant=out.variant,
                    is_current=p.is_current[k],
                )
                for fld, defect, value in out.defects:
                    if fld in ("address", "street", "postcode", "city") and (fld == "address") != one_field:
                        continue  # that column was left empty on purpose
                    sink.defect(loc, n, cid, (fld, defect, value))
                if day < stale_cut:
                    sink.defect(loc, n, cid, ("last_updated", "stale", stamp.strftime("%Y-%m-%d %H:%M:%S")))
                if int(plan.extra["dup_account"][rows[k]]):
                    sink.defect(loc, n, cid, ("customer_code", "duplicate_account", str(codes[rows[k]])))
    return n


def _tax_cell(
    tax: str, kind: int, rng: random.Random, s: GenerationSettings, defects: list[tuple[str, str, str]]
) -> str:
    if not tax:
        return ""
    written = taxids.format_nip(tax, rng) if kind == TAX_NIP else tax
    if rng.random() < s.bad_tax_id_rate:
        written = taxids.mistype(written, rng)
        defects.append(("tax_id", "bad_tax_id", written))
    return written


def _bad_number(number: str, rng: random.Random) -> str:
    kind, year, seq = number.split("/")
    choice = rng.randrange(5)
    if choice == 0:
        return f"{kind}/{year}/{int(seq)}"
    if choice == 1:
        return f"{kind} {year}/{seq}"
    if choice == 2:
        return number.lower()
    if choice == 3:
        return f"{kind}/{year[2:]}/{seq}"
    return f"{kind}-{year}-{seq}"


def write_invoices(ctx: WriteContext, bill: Billing, codes: np.ndarray) -> tuple[int, dict[int, str]]:
    """Write accounting/invoices.csv and truth/invoices.parquet; returns (rows, written numbers)."""
    out_dir, pop, sink, seed, s = ctx.out_dir, ctx.pop, ctx.sink, ctx.seed, ctx.settings
    rng = python_rng(seed, "invoices")
    loc = Loc("invoices", INVOICES)
    order = np.lexsort((bill.seq, bill.is_credit, bill.issue))
    written_numbers: dict[int, str] = {}
    force = Forced(rng, len(order), {"number": s.bad_invoice_number_rate, "negative": s.negative_amount_rate})
    path = out_dir / INVOICES
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(INVOICE_HEADERS)
        for n, i in enumerate(order.tolist(), start=1):
            number = bill.number(i)
            cid = pop.customer_id(int(bill.cust[i]))
            written = number
            if force.hit("number", n, rng.random() < s.bad_invoice_number_rate):
                written = _bad_number(number, rng)
                sink.defect(loc, n, cid, ("invoice_number", "bad_invoice_number", written))
            amount = float(bill.amount[i])
            if not bill.is_credit[i] and force.hit("negative", n, rng.random() < s.negative_amount_rate):
                amount = -amount
                sink.defect(loc, n, cid, ("amount", "negative_amount", f"{amount:.2f}"))
            if written != number:
                written_numbers[i] = written
            corrects = bill.number(int(bill.corrects[i])) if bill.corrects[i] >= 0 else ""
            w.writerow(
                [
                    written,
                    "korekta" if bill.is_credit[i] else "faktura",
                    codes[bill.code_row[i]],
                    to_date(int(bill.issue[i])).isoformat(),
                    "" if bill.due[i] < 0 else to_date(int(bill.due[i])).isoformat(),
                    f"{amount:.2f}",
                    CURRENCIES[int(bill.currency[i])],
                    corrects,
                ]
            )
            sink.row(loc, n, "record", customer_id=cid, record_date=to_date(int(bill.issue[i])), invoice_number=number)
    _invoice_truth(out_dir / "truth" / "invoices.parquet", pop, bill, codes, written_numbers)
    return len(order), written_numbers


def _ids(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``index + 1`` for a whole column, without Python strings per row."""
    digits = pc.utf8_lpad(pc.cast(pa.array(index + 1), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def document_numbers(bill: Billing) -> pa.Array:
    """All canonical document numbers as one Arrow column (FV/2025/000123, FK/2025/000007)."""
    kind = pa.array(np.where(bill.is_credit, "FK", "FV"))
    year = pc.cast(pa.array(bill.year), pa.string())
    seq = pc.utf8_lpad(pc.cast(pa.array(bill.seq), pa.string()), width=6, padding="0")
    return pc.binary_join_element_wise(kind, year, seq, "/")


def _invoice_truth(path: Path, pop: Population, bill: Billing, codes: np.ndarray, written: dict[int, str]) -> None:
    """truth/invoices.parquet, written in row groups so memory stays bounded at millions of documents."""
    writer: pq.ParquetWriter | None = None
    step = 500_000
    numbers = document_numbers(bill)
    for start in range(0, max(len(bill.cust), 1), step):
        table = _invoice_table(pop, bill, (codes, numbers), written, slice(start, start + step))
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    if writer is not None:
        writer.close()


def _invoice_table(
    pop: Population, bill: Billing, labels: tuple[np.ndarray, pa.Array], written: dict[int, str], part: slice
) -> pa.Table:
    codes, all_numbers = labels
    today = pop.as_of
    due, paid_on = bill.due[part].astype(np.int64), bill.paid_on[part].astype(np.int64)
    credit, net = bill.is_credit[part], bill.net[part]
    late = np.where(paid_on >= 0, paid_on - due, np.where((due >= 0) & (due < today), today - due, 0))
    has_late = ~credit & (net > 0) & ((paid_on >= 0) | ((due >= 0) & (due < today)))
    status = np.select(
        [credit, net <= 0, paid_on >= 0, due < today],
        ["credit_note", "cancelled", "paid", "overdue"],
        "open",
    )

    def dates(days: np.ndarray) -> pa.Array:
        return pa.array(np.where(days >= 0, days, 0).astype("datetime64[D]"), mask=days < 0)

    numbers = all_numbers[part.start : part.stop]
    as_written = numbers
    first = part.start or 0
    mine = {i - first: w for i, w in written.items() if first <= i < first + len(numbers)}
    if mine:
        idx = np.fromiter(mine, dtype=np.int64)
        mask = np.zeros(len(numbers), dtype=bool)
        mask[idx] = True
        replacement = np.empty(len(numbers), dtype=object)
        replacement[idx] = [mine[i] for i in idx.tolist()]
        as_written = pc.if_else(pa.array(mask), pa.array(replacement, pa.string()), numbers)
    corr = bill.corrects[part]
    corrects = pc.take(all_numbers, pa.array(np.maximum(corr, 0)))
    corrects = pc.if_else(pa.array(corr >= 0), corrects, pa.scalar(None, pa.string()))
    cust = bill.cust[part]
    return pa.table(
        {
            "invoice_number": numbers,
            "invoice_number_written": as_written,
            "document_type": np.where(credit, "credit_note", "invoice"),
            "customer_id": _ids("C", cust.astype(np.int64), max(6, len(str(pop.n)))),
            "customer_code": codes[bill.code_row[part]].astype(str),
            "issue_date": dates(bill.issue[part].astype(np.int64)),
            "due_date": dates(due),
            "amount": np.round(bill.amount[part], 2),
            "currency": np.asarray(CURRENCIES)[bill.currency[part]],
            "corrects_invoice": corrects,
            "net_amount": np.round(net, 2),
            "paid_amount": np.round(bill.paid_amount[part], 2),
            "paid_date": dates(paid_on),
            "days_late": pa.array(late.astype(np.int32), mask=~has_late),
            "status": status,
            "payment_class": np.asarray(PAYMENT_CLASSES)[pop.pay_class[cust]],
        }
    )


def write_payments(ctx: WriteContext, bill: Billing, codes: np.ndarray) -> int:
    """Write accounting/payments.csv with planted duplicates, unknown invoices and impossible dates."""
    out_dir, pop, sink, seed, s = ctx.out_dir, ctx.pop, ctx.sink, ctx.seed, ctx.settings
    rng = python_rng(seed, "payments")
    loc = Loc("payments", PAYMENTS)
    order = np.lexsort((bill.pay_doc, bill.pay_day))
    extra = _unknown_payments(rng, pop, bill, codes, s)
    force = Forced(
        rng, len(order), {"before_invoice": s.payment_before_invoice_rate, "duplicate": s.duplicate_payment_rate}
    )
    n = 0
    path = out_dir / PAYMENTS
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(PAYMENT_HEADERS)
        pid = 0
        for j in order.tolist():
            while extra and extra[0][0] <= bill.pay_day[j]:
                day, code, cid, number, amount, cur = extra.popleft()
                pid += 1
                n += 1
                w.writerow([f"WPL{pid:08d}", to_date(day).isoformat(), number, code, f"{amount:.2f}", cur])
                sink.row(loc, n, "record", customer_id=cid, record_date=to_date(day))
                sink.defect(loc, n, cid, ("invoice_number", "unknown_invoice", number))
            d = int(bill.pay_doc[j])
            day = int(bill.pay_day[j])
            cid = pop.customer_id(int(bill.cust[d]))
            written_day = day
            bad_date = force.hit("before_invoice", n, rng.random() < s.payment_before_invoice_rate)
            if bad_date:
                written_day = int(bill.issue[d]) - rng.randrange(1, 60)
            pid += 1
            row = [
                f"WPL{pid:08d}",
                to_date(written_day).isoformat(),
                bill.number(d),
                codes[bill.code_row[d]],
                f"{float(bill.pay_amount[j]):.2f}",
                CURRENCIES[int(bill.currency[d])],
            ]
            copies = 2 if force.hit("duplicate", n, rng.random() < s.duplicate_payment_rate) else 1
            for copy in range(copies):
                w.writerow(row)
                n += 1
                sink.row(loc, n, "record", customer_id=cid, record_date=to_date(day), invoice_number=bill.number(d))
                if bad_date:
                    sink.defect(loc, n, cid, ("payment_date", "payment_before_invoice", row[1]))
                if copy:
                    sink.defect(loc, n, cid, ("*", "duplicate_payment", row[0]))
        for day, code, cid, number, amount, cur in extra:
            pid += 1
            n += 1
            w.writerow([f"WPL{pid:08d}", to_date(day).isoformat(), number, code, f"{amount:.2f}", cur])
            sink.row(loc, n, "record", customer_id=cid, record_date=to_date(day))
            sink.defect(loc, n, cid, ("invoice_number", "unknown_invoice", number))
    return n


def _unknown_payments(
    rng: random.Random, pop: Population, bill: Billing, codes: np.ndarray, s: GenerationSettings
) -> deque[tuple[int, str, str, str, float, str]]:
    """Payments for invoice numbers that do not exist (an old system's years, a number past the last), by date."""
    count = max(1, round(len(bill.pay_doc) * s.unknown_invoice_rate)) if s.unknown_invoice_rate else 0
    if not count or not len(bill.cust):
        return deque()
    invoices = ~bill.is_credit
    years = bill.year[invoices]
    first_year = int(years.min())
    last_seq = {int(y): int(bill.seq[invoices][years == y].max()) for y in np.unique(years).tolist()}
    out = []
    width = bill.digits
    for _ in range(count):
        d = rng.randrange(len(bill.cust))
        day = min(pop.as_of, int(bill.issue[d]) + rng.randrange(1, 90))
        year = to_date(day).year
        if rng.random() < 0.5 or year not in last_seq:
            number = f"FV/{first_year - rng.randrange(1, 6)}/{rng.randrange(1, 10**width - 1):0{width}d}"
        else:
            number = f"FV/{year}/{last_seq[year] + rng.randrange(1, 5000):0{width}d}"
        amount = round(rng.uniform(20, 3000), 2)
        out.append((day, str(codes[bill.code_row[d]]), pop.customer_id(int(bill.cust[d])), number, amount, "PLN"))
    out.sort(key=lambda t: (t[0], t[3]))
    return deque(out)
