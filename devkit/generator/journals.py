"""The interaction journals: the call centre's cp1251 CSV and the shop's visits JSON-lines log.

The call log is what an old Windows call-centre tool exports: cp1251, ``;``, Russian headers, Polish names
without their diacritics (cp1251 cannot hold ł). The visits log changed its schema once: old lines are
flat (``name``, ``phone``, ``mail``, ``dob``, ``visited``, ``score``), new ones nest the contact; a few
lines are not JSON at all and some carry a phone as a list.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from typing import Any

import numpy as np

from devkit.generator.appearances import Plan
from devkit.generator.context import WriteContext
from devkit.generator.mess import Forced
from devkit.generator.name_forms import NamePolicy, fold_for_cp1251
from devkit.generator.people import brand_list, to_date
from devkit.generator.person_rows import PersonRows, person_rows
from devkit.generator.pools import vocab
from devkit.generator.profiles import PROFILES
from devkit.generator.records import RecordRenderer, RowOut, SourceStyle, manager_name
from devkit.generator.rng import python_rng
from devkit.generator.truth import Loc, TruthSink

CALL_LOG = "journals/call_log.csv"
VISITS = "journals/visits.jsonl"
CALL_HEADERS = (
    "Дата звонка",
    "Фамилия",
    "Имя",
    "Отчество",
    "Телефон",
    "Email",
    "Дата рождения",
    "Менеджер",
    "Тема",
    "Жалоба",
    "Оценка",
)
CALL_FIELDS = ("given_name", "surname", "patronymic", "phone", "email", "date_of_birth")
CALL_STYLE = SourceStyle(
    lang="ru",
    region=1,
    names=NamePolicy(native=(1.0, 0.9, 1.0, 0.0, 0.0), fold_diacritics=1.0, patronymic=True, yo_as_e=0.7),
    phone_styles=(
        ("national_spaced", 0.4),
        ("national_digits", 0.15),
        ("national_alt", 0.1),
        ("intl_spaced", 0.15),
        ("e164", 0.1),
        ("intl_00", 0.05),
        ("intl_digits", 0.05),
    ),
    phone_float=0.05,
    dob_formats=(("dmy_dot", 1.0),),
    dob_scale=2.5,
    email_scale=1.5,
)
_VISIT_NAMES: dict[str, Any] = {
    "native": (1.0, 0.6, 1.0, 0.3, 0.3),
    "ru_schemes": (("pl", 0.7), ("en", 0.3)),
    "fold_diacritics": 0.1,
}
OLD_VISIT_STYLE = SourceStyle(
    lang="pl",
    region=0,
    names=NamePolicy(**_VISIT_NAMES, layout="full", full_orders=(("GS", 0.8), ("SG", 0.2))),
    phone_styles=(("national_spaced", 0.5), ("national_digits", 0.3), ("intl_spaced", 0.1), ("e164", 0.1)),
    dob_formats=(("dmy_dot", 0.8), ("iso", 0.2)),
    dob_scale=1.5,
)
NEW_VISIT_STYLE = SourceStyle(
    lang="pl",
    region=0,
    names=NamePolicy(**_VISIT_NAMES),
    phone_styles=(("e164", 0.5), ("national_digits", 0.3), ("national_spaced", 0.2)),
    phone_number_cell=0.08,
    dob_formats=(("iso", 1.0),),
    dob_fallback="iso",
)
VISIT_FIELDS = ("given_name", "surname", "full_name", "phone", "email", "date_of_birth")


def schema_change_date(as_of: dt.date) -> dt.date:
    """The day the shop's visit log switched to the nested schema (about 2.7 years before as_of)."""
    d = as_of - dt.timedelta(days=990)
    return d.replace(day=1)


def _ordered(plan: Plan) -> np.ndarray:
    return np.lexsort((plan.cust, plan.extra["minute"], plan.when))


def _stamp(day: int, minute: int) -> dt.datetime:
    d = to_date(day)
    return dt.datetime(d.year, d.month, d.day, minute // 60, minute % 60)


def _score(rng: random.Random, profile: int) -> int | None:
    if rng.random() < 0.3:
        return None
    return max(1, min(5, round(rng.gauss(PROFILES[profile].score_mean, 0.8))))


def _truth(sink: TruthSink, loc: Loc, n: int, *, p: PersonRows, k: int, out: RowOut, day: int) -> None:
    sink.row(
        loc,
        n,
        "record",
        customer_id=p.customer_id[k],
        record_date=to_date(day),
        phone=p.phone_e164[k],
        email=p.email[k],
        dob=p.dob[k],
        names=(p.given_native[k], p.surname_native[k]),
        phone_ok=out.phone_ok,
        email_ok=out.email_ok,
        dob_ok=out.dob_ok,
        name_variant=out.variant,
        is_current=p.is_current[k],
    )
    for fld, defect, value in out.defects:
        sink.defect(loc, n, p.customer_id[k], (fld, defect, value))


def write_call_log(ctx: WriteContext, plan: Plan) -> int:
    """Write journals/call_log.csv; returns the number of data rows."""
    pop, sink, s = ctx.pop, ctx.sink, ctx.settings
    path = ctx.out_dir / CALL_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = python_rng(ctx.seed, "call_log")
    renderer = RecordRenderer(CALL_STYLE, rng, s, to_date(pop.as_of))
    v = vocab()
    loc = Loc("call_log", CALL_LOG)
    order = _ordered(plan)
    n = 0
    with path.open("w", encoding="cp1251", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow(CALL_HEADERS)
        for start in range(0, len(order), s.chunk_rows):
            rows = order[start : start + s.chunk_rows]
            p = person_rows(pop, plan.cust[rows], plan.when[rows])
            for k in range(len(p)):
                if rng.random() < s.blank_row_rate:
                    w.writerow([""] * len(CALL_HEADERS))
                    n += 1
                    sink.row(loc, n, "blank")
                day, minute = int(plan.when[rows[k]]), int(plan.extra["minute"][rows[k]])
                out = renderer.render(p, k, CALL_FIELDS, to_date(day))
                vals = out.values
                prof = PROFILES[p.profile[k]]
                complaint = rng.random() < prof.complaint_rate
                cells = [
                    _stamp(day, minute).strftime("%d.%m.%Y %H:%M"),
                    vals["surname"],
                    vals["given_name"],
                    vals["patronymic"],
                    vals["phone"],
                    vals["email"],
                    vals["date_of_birth"],
                    manager_name(p.manager[k], rng, style="cyrillic"),
                    rng.choice(v["call_topics"]),
                    rng.choice(v["complaint_yes"] if complaint else v["complaint_no"]),
                    _score(rng, p.profile[k]),
                ]
                w.writerow(["" if c is None else fold_for_cp1251(str(c)) for c in cells])
                n += 1
                _truth(sink, loc, n, p=p, k=k, out=out, day=day)
    return n


def write_visits(ctx: WriteContext, plan: Plan) -> int:
    """Write journals/visits.jsonl (two schema versions, malformed lines); returns the number of lines."""
    pop, sink, s = ctx.pop, ctx.sink, ctx.settings
    path = ctx.out_dir / VISITS
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = python_rng(ctx.seed, "visits")
    as_of = to_date(pop.as_of)
    old = RecordRenderer(OLD_VISIT_STYLE, rng, s, as_of)
    new = RecordRenderer(NEW_VISIT_STYLE, rng, s, as_of)
    switch = (schema_change_date(as_of) - dt.date(1970, 1, 1)).days
    loc = Loc("visits", VISITS)
    order = _ordered(plan)
    # Rare defects appear at least once in any file big enough to hold them (tests rely on it).
    force = Forced(rng, len(order), {"malformed": s.malformed_json_rate, "wrong_type": s.wrong_type_rate})
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for start in range(0, len(order), s.chunk_rows):
            rows = order[start : start + s.chunk_rows]
            p = person_rows(pop, plan.cust[rows], plan.when[rows])
            for k in range(len(p)):
                pos = start + k
                if rng.random() < s.blank_row_rate / 2:
                    fh.write("\n")
                    n += 1
                    sink.row(loc, n, "blank")
                day, minute = int(plan.when[rows[k]]), int(plan.extra["minute"][rows[k]])
                stamp = _stamp(day, minute)
                score = _score(rng, p.profile[k])
                if day < switch:
                    out = old.render(p, k, VISIT_FIELDS, stamp.date())
                    obj = _old_line(out, stamp, score, rng)
                else:
                    out = new.render(p, k, VISIT_FIELDS, stamp.date())
                    obj = _new_line(out, stamp, score, rng, extras=_visit_extras(rng, p, k))
                if out.phone_ok and force.hit("wrong_type", pos, rng.random() < s.wrong_type_rate):
                    phone_key = obj.get("contact", obj)
                    phone_key["phone"] = [phone_key["phone"]]
                    out.phone_ok = False
                    out.defects.append(("phone", "wrong_type", json.dumps(phone_key["phone"], ensure_ascii=False)))
                line = json.dumps(obj, ensure_ascii=False)
                fh.write(line + "\n")
                n += 1
                _truth(sink, loc, n, p=p, k=k, out=out, day=day)
                if force.hit("malformed", pos, rng.random() < s.malformed_json_rate):
                    bad = _garble(line, obj, rng)
                    fh.write(bad + "\n")
                    n += 1
                    sink.row(loc, n, "malformed")
                    sink.defect(loc, n, None, ("*", "malformed_json", bad[:200]))
    return n


def _put(obj: dict[str, Any], key: str, value: Any, rng: random.Random) -> None:
    """Set a key; an empty value is sometimes null and sometimes left out, as real logs do."""
    if value is None or value == "":
        if rng.random() < 0.5:
            obj[key] = None
        return
    obj[key] = value


def _old_line(out: RowOut, stamp: dt.datetime, score: int | None, rng: random.Random) -> dict[str, Any]:
    v = out.values
    obj: dict[str, Any] = {}
    _put(obj, "name", v["full_name"], rng)
    _put(obj, "phone", v["phone"], rng)
    _put(obj, "mail", v["email"], rng)
    _put(obj, "dob", v["date_of_birth"], rng)
    obj["visited"] = stamp.strftime("%Y-%m-%d %H:%M")
    _put(obj, "score", score, rng)
    return obj


def _visit_extras(rng: random.Random, p: PersonRows, k: int) -> dict[str, Any]:
    """Tags, preferences and channel of a new-schema line (the customer's latent brands and categories)."""
    v = vocab()
    brands = brand_list()
    return {
        "tags": rng.sample(v["visit_tags"], k=rng.randrange(0, 3)),
        "preferences": {
            "brands": list(dict.fromkeys(brands[b] for b in p.brands[k])),
            "categories": [v["categories"][c] for c in p.categories[k] if c >= 0],
        },
        "channel": v["channels"]["codes"][p.channel[k]] if rng.random() < 0.8 else None,
    }


def _new_line(
    out: RowOut, stamp: dt.datetime, score: int | None, rng: random.Random, *, extras: dict[str, Any]
) -> dict[str, Any]:
    v = out.values
    contact: dict[str, Any] = {}
    for key, fld in (
        ("first_name", "given_name"),
        ("last_name", "surname"),
        ("phone", "phone"),
        ("email", "email"),
        ("birth_date", "date_of_birth"),
    ):
        _put(contact, key, v[fld], rng)
    obj: dict[str, Any] = {"visited_at": stamp.isoformat(timespec="seconds"), "contact": contact}
    obj["survey"] = {"score": score} if score is not None else {}
    obj.update(extras)
    return obj


def _garble(line: str, obj: dict[str, Any], rng: random.Random) -> str:
    """A line the logger broke: cut short, written as a Python dict, or with a trailing comma."""
    kind = rng.randrange(3)
    if kind == 0:
        return line[: max(5, rng.randrange(len(line) // 3, len(line) - 1))]
    if kind == 1:
        return repr(obj)
    return line[:-1] + ",}"
