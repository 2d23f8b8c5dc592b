"""The linkage settings (``linkage.yml``): derived match keys, blocking passes, comparisons, training, thresholds.

The linkage model is the same code for every company and every data set; what differs is which columns hold
the evidence, how candidate pairs are found and how strictly a pair must agree. All of that lives here, so
that FEBRL, a bibliography or tonight's contacts are linked by one algorithm with different settings.

Bundled defaults (for the staged contact table) are in ``data/linkage.yml``; a company's ``linkage.yml``
beside its sources file is merged over them (mappings key by key, lists replaced) and validated, and any
mistake is reported with the file's name and the bad key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transforms.settings.layered import company_file, load_layered

DEFAULT_FILE = Path(__file__).parent / "data" / "linkage.yml"
COMPANY_FILE_NAME = "linkage.yml"

LinkType = Literal["dedupe_only", "link_only", "dedupe_and_link"]
ComparisonKind = Literal["exact", "string", "name", "date", "person_name", "surname_in_business", "combined"]
Metric = Literal["jaro_winkler", "levenshtein", "ratio", "token_set", "token_sort"]

#: Steps a derived column may apply, in order, to its source value (see transforms.linkage.prepare).
STEP_NAMES: tuple[str, ...] = (
    "lower",
    "alnum",
    "letters",
    "digits",
    "numbers",
    "first_word",
    "last_word",
    "name_key",
    "abjad_script",
    "abjad_skeleton",
    "metaphone",
    "soundex",
    "initial",
    "sorted_words",
    "word_keys",
    "iso_date",
    "year",
    "phone_national",
    "nicknames",
    "strip",
)
#: Levels of a person_name comparison, worst first: the whole name is one piece of evidence, because given
#: name and surname are far from independent (common pairs such as "Anna Nowak", gendered surnames).
PERSON_NAME_LEVELS: tuple[str, ...] = (
    "different",
    "both similar (or an initial and a similar surname)",
    "same surname, other given name",
    "same given name, other surname",
    "same given name or nickname, similar surname",
    "same surname, given name initial",
    "same surname, similar given name",
    "same surname, nickname",
    "equal",
)
_PREFIX = re.compile(r"^prefix:(\d+)$")
_SUFFIX = re.compile(r"^suffix:(\d+)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_step(step: str) -> str:
    if step in STEP_NAMES or _PREFIX.match(step) or _SUFFIX.match(step):
        return step
    raise ValueError(f"unknown step {step!r}: use one of {', '.join(STEP_NAMES)}, prefix:N or suffix:N")


class Derived(_Frozen):
    """A match key computed from one or more columns (joined by a space, or for ``nicknames`` each looked up)."""

    source: list[str] = Field(alias="from", min_length=1)
    steps: list[str] = Field(default_factory=list)
    #: Keep the value only where this boolean column is not False (e.g. a tax id whose checksum failed).
    only_if: str | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @field_validator("steps")
    @classmethod
    def _known_steps(cls, v: list[str]) -> list[str]:
        return [_check_step(s) for s in v]


class BlockingPass(_Frozen):
    """One way of finding candidate pairs: records whose key columns are all present and equal."""

    name: str
    keys: list[str] = Field(min_length=1)
    #: Blocks larger than this are skipped (too common a key: a switchboard phone, "Anna Nowak" + a city).
    max_block_size: int | None = Field(default=None, ge=2)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use lower-case letters, digits and _ (e.g. phone, dob_surname)")
        return v


class Blocking(_Frozen):
    """The blocking passes; their candidate pairs are united."""

    max_block_size: int = Field(default=500, ge=2)
    passes: list[BlockingPass] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Blocking:
        names = [p.name for p in self.passes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"passes: the name {dupes[0]!r} is used twice")
        return self


class Comparison(_Frozen):
    """How one piece of evidence is compared; its levels go from 0 (disagree) up to the best agreement."""

    name: str
    kind: ComparisonKind
    #: The compared column (every kind but ``combined``).
    column: str = ""
    #: combined kind: the comparisons it is made of. Its level is how many of them agree (at any level above
    #: "different"), -1 where none can be compared. The parts of one fact (an address's postcode, city and street)
    #: are far from independent: counted one by one, a customer who moved would pay for one change three times and
    #: two people at one address would gain three times. The parts are best kept out of the model (in_model: false).
    parts: list[str] = Field(default_factory=list)
    metric: Metric = "jaro_winkler"
    #: For string and name kinds: similarity floors (0..1, best first) or, for levenshtein, maximum distances.
    thresholds: list[float] = Field(default_factory=list)
    #: name kind: a column of nickname groups (from a ``nicknames`` step); equal groups are their own level.
    nickname_column: str | None = None
    #: name kind: an initial agreeing with a name ("J." and "Jan") is its own level.
    initials: bool = False
    #: With ``initials``: a column of each name's first letter as written (an ``initial`` step on the Latin
    #: form), to tell whether an initial agrees where the key's spelling folds changed the first letter (J. and
    #: Javad, whose key is "avad"; C. and Chen, "hen"). Without it the key's first letter is used.
    initial_column: str | None = None
    #: Weight exact agreement by how rare the value is (common names count for less).
    term_frequency: bool = False
    #: A column the pair's values are compared on when the main column is missing on one side.
    fallback_column: str | None = None
    #: person_name kind: the surname column (``column`` holds the given name). surname_in_business kind: the
    #: surname column of the person's record (``column`` holds the name keys of a business name's words).
    surname_column: str | None = None
    #: name and person_name kinds: a column set where the name was written in an abjad script (an
    #: ``abjad_script`` step). A pair where one side has it and the other not is compared on the consonant
    #: skeletons of both keys, since those scripts write no short vowels (نوری / Noori).
    abjad_column: str | None = None
    #: person_name kind: surnames that are forms of one surname in the romanization table (Wang / Wong, Li / Lee:
    #: ``data/surname_variants.yml`` and ``surname_variants:`` of linkage.yml) agree as similar surnames.
    surname_variants: bool = False
    #: False: compared (for conflict rules and the steward's view) but not counted in the match weight.
    in_model: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use lower-case letters, digits and _ (e.g. given_name, dob)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Comparison:
        if self.kind == "combined":
            if len(self.parts) < 2:
                raise ValueError("parts: a comparison of kind 'combined' names at least two comparisons")
            if self.column or self.thresholds or self.term_frequency or self.surname_column or self.fallback_column:
                raise ValueError("a comparison of kind 'combined' reads its parts' levels: give parts only")
            return self
        if self.parts:
            raise ValueError("parts: only a comparison of kind 'combined' has parts")
        if not self.column:
            raise ValueError(f"column: required by kind {self.kind!r}")
        if self.kind in ("exact", "date") and self.thresholds:
            raise ValueError(f"thresholds: a comparison of kind {self.kind!r} takes none")
        if self.metric == "levenshtein":
            if any(t < 0 or t != int(t) for t in self.thresholds):
                raise ValueError("thresholds: levenshtein thresholds are whole edit distances (1, 2)")
            if self.thresholds != sorted(self.thresholds):
                raise ValueError("thresholds: give the distances smallest first")
        else:
            if any(not 0 < t < 1 for t in self.thresholds):
                raise ValueError("thresholds: similarity floors lie between 0 and 1")
            if self.thresholds != sorted(self.thresholds, reverse=True):
                raise ValueError("thresholds: give the similarity floors highest first")
        if self.kind not in ("name", "person_name") and (self.nickname_column or self.initials or self.abjad_column):
            raise ValueError(
                "nickname_column, initials and abjad_column apply to comparisons of kind 'name' or 'person_name'"
            )
        if self.initial_column and not self.initials:
            raise ValueError("initial_column: applies with initials: true")
        if self.surname_variants and self.kind != "person_name":
            raise ValueError("surname_variants: applies to comparisons of kind 'person_name'")
        if (self.kind in ("person_name", "surname_in_business")) != (self.surname_column is not None):
            raise ValueError("surname_column: required by kinds 'person_name' and 'surname_in_business', only by them")
        if self.kind == "surname_in_business" and len(self.thresholds) > 1:
            raise ValueError("thresholds: kind 'surname_in_business' takes at most one similarity floor, e.g. [0.9]")
        if self.kind == "person_name" and len(self.thresholds) != 1:
            raise ValueError("thresholds: kind 'person_name' takes one similarity floor, e.g. [0.88]")
        return self

    @property
    def level_labels(self) -> list[str]:
        """Human names of the levels, index = level (0 = disagree)."""
        if self.kind == "exact":
            return ["different", "equal"]
        if self.kind == "date":
            return ["different", "one digit off", "day and month swapped", "equal"]
        if self.kind == "person_name":
            return list(PERSON_NAME_LEVELS)
        if self.kind == "surname_in_business":
            close = [f"a word of the business name {self.metric} >= {t:g} to the surname" for t in self.thresholds]
            return ["the surname is not in the business name", *close, "the surname is a word of the business name"]
        if self.kind == "combined":
            n = len(self.parts)
            return ["different", *(f"{k} of {n} agree ({', '.join(self.parts)})" for k in range(1, n)), "equal"]
        fuzzy = [
            f"distance <= {int(t)}" if self.metric == "levenshtein" else f"{self.metric} >= {t:g}"
            for t in self.thresholds
        ]
        labels = ["different"]
        if self.kind == "name" and self.initials:
            labels.append("initial agrees")
        labels += list(reversed(fuzzy))
        if self.kind == "name" and self.nickname_column:
            labels.append("nickname")
        labels.append("equal")
        return labels

    @property
    def top_level(self) -> int:
        return len(self.level_labels) - 1

    @property
    def columns(self) -> tuple[str, ...]:
        """The prepared columns the comparison reads itself (none for a combined one: see
        ``LinkageSettings.columns_of``)."""
        cols = [self.column] if self.column else []
        if self.nickname_column:
            cols.append(self.nickname_column)
        if self.fallback_column:
            cols.append(self.fallback_column)
        if self.surname_column:
            cols.append(self.surname_column)
        if self.abjad_column:
            cols.append(self.abjad_column)
        if self.initial_column:
            cols.append(self.initial_column)
        return tuple(cols)


class Identifiable(_Frozen):
    """Which records carry enough to identify a person: a name and one piece of evidence; others stay single."""

    names: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)


class NameOnly(_Frozen):
    """Records whose only identifying value is a person's name (a call journal's or visit log's row with no phone,
    e-mail or address): whether and how they may join a customer after the night's linking (see
    ``transforms.linkage.name_only``). Such a record joins the one customer that carries its full name (given name
    and surname, either order) when the name is rare enough that its match probability reaches
    ``thresholds.match``; a name two customers carry, or a common one, leaves it a customer of its own."""

    #: Whether name-only records may join a customer at all.
    link: bool = True
    #: The person_name comparison whose exact agreement is the evidence (its given-name and surname columns); when
    #: the settings have none of that name and do not set this key, name-only records stay alone.
    comparison: str = "name"
    #: Names this common or commoner never link a name-only record, whatever the probability: the expected share
    #: of people carrying the name (the larger of its own share and its given name's times its surname's share).
    max_name_share: float = Field(default=0.001, gt=0, le=1)


class Training(_Frozen):
    """How m and u are estimated."""

    u_random_pairs: int = Field(default=1_000_000, ge=1000)
    em_max_pairs: int = Field(default=500_000, ge=100)
    em_max_iterations: int = Field(default=40, ge=1)
    em_tolerance: float = Field(default=1e-5, gt=0)
    #: Starting guess of the share of candidate pairs that match.
    prior_start: float = Field(default=0.1, gt=0, lt=1)
    #: How many labelled pairs count as much as the EM estimate when both are blended.
    label_weight: float = Field(default=200.0, gt=0)
    #: Floor of a term frequency, so a value seen once in a small file is not taken as vanishingly rare.
    tf_minimum: float = Field(default=1e-6, gt=0, lt=1)
    #: Values kept in the saved model's term-frequency tables (any other value counts as common as the most common
    #: one left out).
    tf_table_size: int = Field(default=20_000, ge=10)
    #: Added to every level count, so a level never seen does not get a probability of zero.
    smoothing: float = Field(default=1.0, ge=0)


class Thresholds(_Frozen):
    """Match probabilities: at or above ``match`` a pair is linked; between ``review_lower`` and ``match`` a
    steward decides."""

    match: float = Field(default=0.95, gt=0, lt=1)
    review_lower: float = Field(default=0.5, gt=0, lt=1)

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if self.review_lower > self.match:
            raise ValueError("review_lower must not exceed match")
        return self


class Review(_Frozen):
    """The steward's review list: how long it may grow. Pairs are ranked by what a wrong decision would cost (see
    ``transforms.linkage.review``) and the list is cut at ``max_share_of_records`` of the night's records, so it
    stays a list a steward can work through however large the company grows."""

    max_share_of_records: float = Field(default=0.01, gt=0, le=1)


class Incremental(_Frozen):
    """When a night links only what changed since the last night (``transforms.linkage.incremental``) and when it
    links everything again. A full relink refits the model; between them the last full night's model scores the
    changed records, so the nights drift apart from a full relink only as far as a fresh model would differ."""

    #: Whether a night may link incrementally at all (false: every night is a full relink).
    enabled: bool = True
    #: A night whose changed, new and removed records exceed this share of its records is linked in full.
    max_changed_share: float = Field(default=0.10, gt=0, le=1)
    #: A full relink at least this often (days since the last one), so the model follows the company.
    full_every_days: int = Field(default=7, ge=1)


class Conflict(_Frozen):
    """Strong evidence of two different people: every comparison in ``disagree`` disagrees (level 0, both
    present) and none in ``unless_agree`` agrees even closely. ``unless_agree`` tells a household member (another
    given name, nothing personal in common) from the same person whose nickname the tables do not know (another
    given name, the same e-mail)."""

    name: str
    disagree: list[str] = Field(min_length=1)
    unless_agree: list[str] = Field(default_factory=list)
    #: The rule in words, for the steward who sees a pair it kept apart ("different valid tax ids").
    says: str | None = Field(default=None, min_length=1)

    @property
    def in_words(self) -> str:
        """``says``, or the rule spelled out from its comparisons."""
        if self.says:
            return self.says
        words = " and ".join(self.disagree) + " differ"
        if self.unless_agree:
            words += f", and none of {', '.join(self.unless_agree)} agrees even closely"
        return words


class LinkageSettings(_Frozen):
    """The whole ``linkage.yml``."""

    version: Literal[1] = 1
    id_column: str = "record_id"
    source_column: str | None = "source_name"
    link_type: LinkType = "dedupe_and_link"
    identifiable: Identifiable = Field(default_factory=Identifiable)
    derived: dict[str, Derived] = Field(default_factory=dict)
    #: Pairs of columns that may have been written the other way round (given name / surname).
    swap: list[tuple[str, str]] = Field(default_factory=list)
    blocking: Blocking
    comparisons: list[Comparison] = Field(min_length=1)
    conflicts: list[Conflict] = Field(default_factory=list)
    #: A company's own nickname groups (first entry = the group's name), added to the bundled tables.
    nicknames: list[list[str]] = Field(default_factory=list)
    #: A company's own groups of romanizations of one surname (first entry = the group's name), added to the bundled
    #: table for comparisons with ``surname_variants: true``.
    surname_variants: list[list[str]] = Field(default_factory=list)
    training: Training = Field(default_factory=Training)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    review: Review = Field(default_factory=Review)
    name_only: NameOnly = Field(default_factory=NameOnly)
    incremental: Incremental = Field(default_factory=Incremental)

    @field_validator("nicknames", "surname_variants")
    @classmethod
    def _groups(cls, v: list[list[str]]) -> list[list[str]]:
        for group in v:
            if len(group) < 2:
                raise ValueError("each group lists at least two names, e.g. [Robert, Bob] or [Wang, Wong]")
        return v

    @field_validator("derived")
    @classmethod
    def _derived_names(cls, v: dict[str, Derived]) -> dict[str, Derived]:
        for key in v:
            if not _NAME.match(key):
                raise ValueError(f"derived column {key!r}: use lower-case letters, digits and _")
        return v

    @model_validator(mode="after")
    def _references(self) -> LinkageSettings:
        names = [c.name for c in self.comparisons]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"comparisons: the name {dupes[0]!r} is used twice")
        for cmp in self.comparisons:
            for part in cmp.parts:
                if part not in names:
                    raise ValueError(f"comparisons.{cmp.name}.parts: unknown comparison {part!r}")
                if self.comparison(part).kind == "combined":
                    raise ValueError(f"comparisons.{cmp.name}.parts: {part!r} is itself combined")
        for conflict in self.conflicts:
            for key in ("disagree", "unless_agree"):
                for name in getattr(conflict, key):
                    if name not in names:
                        raise ValueError(f"conflicts.{conflict.name}.{key}: unknown comparison {name!r}")
        if self.link_type != "dedupe_only" and self.source_column is None:
            raise ValueError(f"link_type {self.link_type!r} needs source_column")
        if "comparison" in self.name_only.model_fields_set and not self.joins_name_only:
            wanted = self.name_only.comparison
            raise ValueError(f"name_only.comparison: {wanted!r} is not a comparison of kind 'person_name'")
        return self

    @property
    def joins_name_only(self) -> bool:
        """Whether name-only records may join a customer: allowed, and the evidence comparison is a whole name (with
        settings of their own and no such comparison, as for a list of organisations, they never do)."""
        wanted = self.name_only.comparison
        found = [c for c in self.comparisons if c.name == wanted]
        return self.name_only.link and bool(found) and found[0].kind == "person_name"

    def comparison(self, name: str) -> Comparison:
        return next(c for c in self.comparisons if c.name == name)

    def columns_of(self, cmp: Comparison) -> tuple[str, ...]:
        """The prepared columns a comparison's level depends on (a combined one's: its parts')."""
        if cmp.kind != "combined":
            return cmp.columns
        return tuple(dict.fromkeys(c for part in cmp.parts for c in self.comparison(part).columns))

    def with_parts(self, names: list[str]) -> list[Comparison]:
        """The named comparisons and, before a combined one, the parts it is computed from."""
        out: list[Comparison] = []
        for name in names:
            cmp = self.comparison(name)
            out += [self.comparison(p) for p in cmp.parts]
            out.append(cmp)
        return list({c.name: c for c in out}.values())

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Columns the records must have (everything not derived that blocking, comparisons or keys use)."""
        derived = set(self.derived)
        used: list[str] = [self.id_column]
        if self.source_column:
            used.append(self.source_column)
        for d in self.derived.values():
            used += d.source
            if d.only_if:
                used.append(d.only_if)
        for p in self.blocking.passes:
            used += p.keys
        for c in self.comparisons:
            used += list(c.columns)
        for a, b in self.swap:
            used += [a, b]
        used += self.identifiable.names + self.identifiable.evidence
        return tuple(dict.fromkeys(c for c in used if c not in derived))


def load_linkage_settings(sources_file: Path | str | None = None) -> LinkageSettings:
    """The settings a run uses: the bundled defaults, with the company's ``linkage.yml`` beside its sources file
    merged over them when there is one."""
    return load_layered(LinkageSettings, DEFAULT_FILE, company_file(sources_file, COMPANY_FILE_NAME))


def settings_source(sources_file: Path | str | None) -> str:
    """Where the settings come from (the company's file, or ``bundled defaults``), for the run's log."""
    found = company_file(sources_file, COMPANY_FILE_NAME)
    return str(found) if found else "bundled defaults"
