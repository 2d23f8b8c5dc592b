"""Addresses: street abbreviations, postcodes, and one-field addresses split into their parts.

Addresses are the weakest of the linkage fields, but they still help when written alike: "ul. Długa 5" and
"ulica Długa 5", "00950" and "00-950", a US ZIP that Excel stripped of its leading zero. The tables are per
language and per country in ``data/`` so another company's countries are a data change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from transforms.standardize._data import load_table, string_list
from transforms.standardize.countries import country_from_name, country_to_iso2
from transforms.standardize.text import normalize_text

__all__ = [
    "AddressParts",
    "country_to_iso2",
    "normalize_postcode",
    "normalize_street",
    "split_address",
]


# -------------------------------------------------------------------------------------------------------- streets


@dataclass(frozen=True, slots=True)
class _Abbreviation:
    expand: str
    position: str  # any | prefix | suffix
    next: str  # any | number | word


@cache
def _abbreviations() -> dict[str, list[_Abbreviation]]:
    """Form -> its possible expansions; forms written without a final dot are also keyed with one."""
    index: dict[str, list[_Abbreviation]] = {}
    for entry in load_table("street_abbreviations.yml")["abbreviations"]:
        rule = _Abbreviation(entry["expand"], entry.get("position", "any"), entry.get("next", "any"))
        for written in string_list(entry["forms"], f"street_abbreviations.yml: {entry['expand']}"):
            form = written.casefold()
            keys = [form] if form.endswith(".") else [form, form + "."]
            for key in keys:
                index.setdefault(key, []).append(rule)
    for rules in index.values():
        rules.sort(key=lambda r: r.position == "any")  # a rule whose position fits beats a position-free one
    return index


@cache
def _attached_suffixes() -> tuple[tuple[str, str], ...]:
    pairs = [
        (form.casefold(), entry["expand"])
        for entry in load_table("street_abbreviations.yml")["attached_suffixes"]
        for form in string_list(entry["forms"], "street_abbreviations.yml: attached_suffixes")
    ]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


_GLUED = re.compile(r"(?<!\w)([^\W\d_][^\W\d_-]{0,5}\.)(?=[^\W\d_])")
_SLASH = re.compile(r"(?<=\d)\s*/\s*(?=\d)")
_SPACE_BEFORE_COMMA = re.compile(r"\s+,")
_COMMA_WITHOUT_SPACE = re.compile(r",(?=\S)")
_HOUSE_NUMBER = re.compile(r"^\d+[^\W\d_]?(?:[/-]\d+[^\W\d_]?)*$")  # 5, 5a, 5/7, 12-14 (not 5th)


def _is_number(token: str) -> bool:
    return bool(_HOUSE_NUMBER.match(token.rstrip(",")))


def _expand(tokens: list[str], i: int) -> str:
    token = tokens[i]
    core, trail = token.rstrip(","), token[len(token.rstrip(",")) :]
    rules = _abbreviations().get(core.casefold())
    if not rules:
        for suffix, expand in _attached_suffixes():
            if core.casefold().endswith(suffix) and len(core) > len(suffix) + 2:
                return core[: -len(suffix)] + expand + trail
        return token
    previous = tokens[i - 1].rstrip(",") if i > 0 and not tokens[i - 1].endswith(",") else None
    following = tokens[i + 1] if i + 1 < len(tokens) and not trail else None
    for rule in rules:
        if rule.next == "number" and not (following and _is_number(following)):
            continue
        if rule.next == "word" and not (following and not _is_number(following)):
            continue
        if rule.position == "prefix" and (following is None or not (previous is None or _is_number(previous))):
            continue
        if rule.position == "suffix":
            if previous is None or _is_number(previous) or previous.casefold() in _abbreviations():
                continue
            if following is not None and not _is_number(following) and following.casefold() not in _abbreviations():
                continue  # "ul. dr. Jana": a title before a name, not "Drive"
        return rule.expand + trail
    return token


def normalize_street(s: str | None) -> str | None:
    """The street written one way: abbreviations expanded (ul. -> ulica, St -> Street, ул. -> улица, خ. -> خیابان),
    "ul.Długa" spaced, "5 / 7" joined, commas spaced. The name itself is left as written.

    Abbreviations that need context are expanded only where it decides them: "St" is Street after a name and Saint
    before one; "д." is дом before a number only. Ambiguous ones that no position rule settles (Russian "пр.")
    stay as written.
    """
    text = normalize_text(s)
    if text is None:
        return None
    abbreviations = _abbreviations()
    text = _GLUED.sub(lambda m: m.group(1) + " " if m.group(1).casefold() in abbreviations else m.group(1), text)
    text = _SLASH.sub("/", text)
    text = _COMMA_WITHOUT_SPACE.sub(", ", _SPACE_BEFORE_COMMA.sub(",", text))
    tokens = text.split()
    return " ".join(_expand(tokens, i) for i in range(len(tokens))).strip(" ,;") or None


# ------------------------------------------------------------------------------------------------------ postcodes


@dataclass(frozen=True, slots=True)
class _PostcodeFormat:
    pad_to: int | None
    forms: tuple[tuple[re.Pattern[str], str], ...]


@cache
def _postcode_formats() -> dict[str, _PostcodeFormat]:
    table = load_table("postcodes.yml")["countries"]
    return {
        str(code): _PostcodeFormat(
            spec.get("pad_to"), tuple((re.compile(f["regex"]), f["format"]) for f in spec["forms"])
        )
        for code, spec in table.items()
    }


_POSTCODE_NOISE = re.compile(r"[\s.-]")


def _postcode_text(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(value)


def normalize_postcode(value: object, country: str | None) -> str | None:
    """The postcode in its country's written form (PL "00950" -> "00-950", GB "sw1a1aa" -> "SW1A 1AA").

    Leading zeros lost in a number cell are put back only for countries whose postcodes are all digits of one
    length (PL 950 -> "00-950", US 2134 -> "02134"); for Russia and others they are not, since the padding would
    be a guess. With a country whose format is known, a postcode that does not fit it gives None; with no or an
    unknown country the value is only trimmed and upper-cased.
    """
    text = _postcode_text(value)
    if text is None:
        return None
    code = country_to_iso2(country) if country else None
    spec = _postcode_formats().get(code) if code else None
    if spec is None:
        return " ".join(text.upper().split())
    compact = _POSTCODE_NOISE.sub("", text.upper())
    if code and compact.startswith(code) and not compact[:2].isdigit():
        compact = compact[len(code) :]  # "PL-00-950", "LT-01100"
    if spec.pad_to and compact.isdigit() and len(compact) < spec.pad_to:
        compact = compact.zfill(spec.pad_to)
    for pattern, template in spec.forms:
        match = pattern.fullmatch(compact)
        if match:
            return template.format(None, *match.groups())
    return None


# ------------------------------------------------------------------------------------------------ one-field split


@dataclass(frozen=True, slots=True)
class AddressParts:
    """Parts of a one-field address; None where the part is absent or could not be told apart."""

    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


@cache
def _markers(key: str) -> frozenset[str]:
    return frozenset(m.casefold() for m in string_list(load_table("postcodes.yml")[key], f"postcodes.yml: {key}"))


@cache
def _us_states() -> str:
    return "|".join(string_list(load_table("postcodes.yml")["us_states"], "postcodes.yml: us_states"))


@cache
def _postcode_patterns() -> tuple[tuple[re.Pattern[str], str | None], ...]:
    """Postcode shapes recognisable without knowing the country, most specific first, with the country they tell."""
    return (
        (re.compile(r"(?<![\d-])(\d{2}-\d{3})(?![\d-])"), "PL"),
        (re.compile(rf"(?<![A-Za-z])(?:{_us_states()})\s+(\d{{5}}(?:-\d{{4}})?)(?!\d)"), "US"),
        (re.compile(r"(?<![A-Z\d])([A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})(?![A-Z\d])"), "GB"),
        (re.compile(r"(?<![A-Z\d])([A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![A-Z\d])"), "CA"),
        (re.compile(r"^(\d{4,6})$"), None),  # a part that is only a postcode: "125009, г. Москва"
        (re.compile(r"(?:^|\s)(\d{4,6})\s+(?=[^\d\s])[^\d]*$"), None),  # "10115 Berlin", "8001 Zürich"
    )


def _segments(text: str) -> list[str]:
    return [p.strip(" ,;") for p in re.split(r"[,;\n]", text) if p.strip(" ,;")]


def _marked(segment: str, key: str) -> str | None:
    """The segment without its marker word if it starts or ends with one ("г. Москва" -> "Москва")."""
    words = segment.split()
    if len(words) < 2:
        return None
    markers = _markers(key)
    if words[0].casefold().rstrip(".") in markers:
        return " ".join(words[1:])
    if words[-1].casefold().rstrip(".") in markers:
        return " ".join(words[:-1])
    return None


def _is_street_like(segment: str) -> bool:
    if any(c.isdigit() for c in segment):
        return True
    abbreviations = _abbreviations()
    return any(w.casefold() in abbreviations or w.casefold().rstrip(".") in abbreviations for w in segment.split())


@dataclass(frozen=True, slots=True)
class _Postcode:
    segment: int
    postcode: str
    country: str | None
    before: str  # text of the segment before the postcode
    after: str  # and after it
    state: str | None


def _find_postcode(segments: list[str]) -> _Postcode | None:
    """The first postcode found, trying the most specific shapes first.

    A bare 4-6 digit number only counts when the words after it are not a street: "10115 Berlin" is a postcode,
    "12345 Main St" a house number.
    """
    for pattern, country in _postcode_patterns():
        for i, segment in enumerate(segments):
            match = pattern.search(segment)
            if not match:
                continue
            postcode = match.group(1)
            before = segment[: match.start()].strip(" ,")
            after = segment[match.end() :].strip(" ,")
            if country is None:
                after = match.group(0).strip()[len(postcode) :].strip()
                if after and _is_street_like(after):
                    continue
            state = match.group(0).split()[0] if country == "US" else None
            return _Postcode(i, postcode, country, before, after, state)
    return None


def split_address(one_field: str, country: str | None = None) -> AddressParts:
    """Street, postcode, city (and region, country when written) from an address written in one field.

    Handles the usual orders: small to large ("ul. Długa 5/7, 00-950 Warszawa", "123 Main St, Springfield, IL
    62704", "10 Downing Street, London SW1A 2AA") and large to small ("125009, г. Москва, ул. Тверская, д. 7",
    "تهران، خیابان ولیعصر، پلاک 12"). Parts are told apart by commas, by postcode shapes, by city and region
    markers (г., woj., استان) and by street words; a part that is none of these and not the city is kept in the
    street rather than lost. Without commas or a postcode ("Długa 5 Warszawa") the whole value is the street:
    where the street ends cannot be told. ``country`` (if known) is used to write the postcode.
    """
    text = normalize_text(one_field)
    if text is None:
        return AddressParts()
    segments = _segments(text)
    written_country = country_from_name(segments[-1]) if len(segments) > 1 else None
    if written_country:
        segments = segments[:-1]
    city = region = None
    used: set[int] = set()
    extra_street: list[str] = []
    found = _find_postcode(segments)
    if found is not None:
        used.add(found.segment)
        region = found.state
        rest = [found.before, found.after]
        if found.after and not _is_street_like(found.after):
            city, rest = found.after, [found.before]  # "00-950 Warszawa"
        elif found.before and not _is_street_like(found.before):
            city, rest = found.before, [found.after]  # "London SW1A 2AA", "Springfield IL 62704"
        extra_street = [part for part in rest if part]
    for i, segment in enumerate(segments):
        if i in used:
            continue
        if city is None and (named := _marked(segment, "city_markers")):
            city = named
            used.add(i)
        elif region is None and _marked(segment, "region_markers"):
            region = segment
            used.add(i)
    street_at = [i for i, s in enumerate(segments) if i not in used and _is_street_like(s)]
    others = [i for i, s in enumerate(segments) if i not in used and i not in street_at]
    if city is None and others:
        # City after the street in small-to-large order, before it in large-to-small order.
        pick = others[-1] if not street_at or street_at[0] < others[-1] else others[0]
        city = segments[pick]
        others.remove(pick)
    street_parts = [segments[i] for i in sorted(street_at + others)] + extra_street
    postcode_country = country_to_iso2(country) if country else written_country
    if found is not None and postcode_country is None:
        postcode_country = found.country
    return AddressParts(
        street=", ".join(street_parts) or None,
        postcode=normalize_postcode(found.postcode, postcode_country) if found else None,
        city=city,
        region=region,
        country=written_country,
    )
