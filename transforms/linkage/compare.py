"""Comparison levels of record pairs: how well two records agree on each piece of evidence.

Each comparison turns a pair's two values into a level, 0 = disagree up to the best agreement, -1 = missing on
a side. Levels are computed on two row-aligned frames (the left and right record of each pair), so the same code
scores a million candidate pairs in a batch and one new record against its few candidates on entry.

String similarities are the bottleneck of a Fellegi-Sunter linkage; they are computed with rapidfuzz on each
distinct pair of values only once (names and dates repeat a lot), which is what makes this several times
faster than recordlinkage.Compare on the same pairs (see devkit/bench/linkage_probe.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from functools import partial

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Hamming, JaroWinkler, Levenshtein

from transforms.cores import usable_cores
from transforms.linkage.nicknames import (
    lookup_key,
    nickname_label,
    nickname_table,
    surname_variant_table,
    variants_agree,
)
from transforms.linkage.settings import Comparison, LinkageSettings
from transforms.standardize.names import abjad_skeleton, is_known_given_name
from transforms.standardize.vectorize import map_unique

#: Computes one similarity (0..1) or distance per aligned pair of non-missing values.
SimilarityFn = Callable[[str, np.ndarray, np.ndarray], np.ndarray]

_SCORERS: dict[str, tuple[Callable[..., float], float]] = {
    "jaro_winkler": (JaroWinkler.normalized_similarity, 1.0),
    "levenshtein": (Levenshtein.distance, 1.0),
    "ratio": (fuzz.ratio, 0.01),
    "token_set": (fuzz.token_set_ratio, 0.01),
    "token_sort": (fuzz.token_sort_ratio, 0.01),
    "hamming": (Hamming.distance, 1.0),
}


#: True while ``compare_pairs`` hands down pairs it has already made distinct (the values of one comparison's
#: columns): looking for repeats again would hash millions of texts to find few. Per thread, as each group runs on one.
_ALREADY_DISTINCT: ContextVar[bool] = ContextVar("already_distinct", default=False)


def distinct_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (left, right) value pairs and, per input pair, the index of its distinct pair."""
    if _ALREADY_DISTINCT.get():
        return left, right, np.arange(len(left))
    codes, vocab = pd.factorize(np.concatenate([left, right]))
    n = len(left)
    key = codes[:n].astype(np.int64) * (len(vocab) + 1) + codes[n:]
    inverse, distinct = pd.factorize(key)  # hashing, not sorting
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)  # written last to first: each pair's first position stays
    return left[first], right[first], inverse


def rapidfuzz_similarity(metric: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Similarity (or distance for levenshtein/hamming) of aligned non-missing strings, once per distinct pair."""
    if len(left) == 0:
        return np.empty(0, dtype=np.float64)
    ul, ur, inverse = distinct_pairs(left, right)
    scorer, scale = _SCORERS[metric]
    scores = process.cpdist(list(ul), list(ur), scorer=scorer, workers=1).astype(np.float64).ravel() * scale
    out: np.ndarray = scores[inverse]
    return out


def _values(frame: pd.DataFrame, column: str, fallback: str | None) -> np.ndarray:
    values = frame[column]
    if fallback:
        values = values.where(values.notna(), frame[fallback])
    return values.to_numpy(dtype=object)


def _group_matrix(labels: np.ndarray, vocab: dict[str, int]) -> np.ndarray:
    """Nickname group labels ('a|b') as a padded integer matrix (-1 = no group), codes shared through vocab."""
    split = [str(v).split("|") if v is not None else [] for v in labels]
    width = max((len(s) for s in split), default=0) or 1
    out = np.full((len(labels), width), -1, dtype=np.int64)
    for i, groups in enumerate(split):
        for j, g in enumerate(groups):
            out[i, j] = vocab.setdefault(g, len(vocab))
    return out


def nickname_agrees(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether the two sides share a nickname group (computed once per distinct pair of labels)."""
    present = pd.notna(left) & pd.notna(right)
    out = np.zeros(len(left), dtype=bool)
    if not present.any():
        return out
    ul, ur, inverse = distinct_pairs(left[present], right[present])
    vocab: dict[str, int] = {}
    ml, mr = _group_matrix(ul, vocab), _group_matrix(ur, vocab)
    hit = np.zeros(len(ul), dtype=bool)
    for j in range(ml.shape[1]):
        hit |= ((ml[:, j : j + 1] == mr) & (ml[:, j : j + 1] >= 0)).any(axis=1)
    out[present] = hit[inverse]
    return out


def _string_levels(
    cmp: Comparison, left: np.ndarray, right: np.ndarray, present: np.ndarray, similarity: SimilarityFn
) -> tuple[np.ndarray, int]:
    """Level from the fuzzy thresholds (before nickname/equal levels), and the index of the first fuzzy level."""
    level = np.zeros(len(left), dtype=np.int8)
    base = 1 if (cmp.kind == "name" and cmp.initials) else 0
    if cmp.thresholds and present.any():
        sim = similarity(cmp.metric, left[present], right[present])
        sub = np.zeros(int(present.sum()), dtype=np.int8)
        for rank, t in enumerate(reversed(cmp.thresholds)):  # worst first, so the best threshold wins
            ok = sim <= t if cmp.metric == "levenshtein" else sim >= t - 1e-9
            sub = np.where(ok, base + 1 + rank, sub).astype(np.int8)
        level[present] = sub
    return level, base


def _initials(
    left: np.ndarray,
    right: np.ndarray,
    present: np.ndarray,
    first_left: np.ndarray | None = None,
    first_right: np.ndarray | None = None,
) -> np.ndarray:
    """One side is a single letter and it is the other side's first letter ("j" and "jan"); the first letters are
    taken from ``first_left`` / ``first_right`` (the names' initials as written) where given."""
    out = np.zeros(len(left), dtype=bool)
    if not present.any():
        return out
    ul, ur, inverse = distinct_pairs(left[present], right[present])
    ls, rs = pd.Series(ul), pd.Series(ur)
    one = ((ls.str.len() == 1) | (rs.str.len() == 1)).to_numpy()
    if first_left is None or first_right is None:
        out[present] = (one & (ls.str[:1] == rs.str[:1]).to_numpy())[inverse]
        return out
    fl, fr = first_left[present], first_right[present]
    written = pd.notna(fl) & pd.notna(fr)
    same = np.zeros(len(fl), dtype=bool)
    same[written] = fl[written] == fr[written]
    # Where a side's written initial is unknown (a name turned round for the comparison), the keys' first letters.
    same[~written] = (ls.str[:1] == rs.str[:1]).to_numpy()[inverse][~written]
    out[present] = one[inverse] & same
    return out


def _first_letters(cmp: Comparison, left: pd.DataFrame, right: pd.DataFrame) -> tuple[np.ndarray | None, ...]:
    if not cmp.initial_column:
        return None, None
    return left[cmp.initial_column].to_numpy(object), right[cmp.initial_column].to_numpy(object)


def _date_levels(left: np.ndarray, right: np.ndarray, present: np.ndarray, similarity: SimilarityFn) -> np.ndarray:
    level = np.zeros(len(left), dtype=np.int8)
    if not present.any():
        return level
    ul, ur, inverse = distinct_pairs(left[present], right[present])
    ls = pd.Series(ul).str[:10]
    rs = pd.Series(ur).str[:10]
    equal = (ls == rs).to_numpy()
    same_year = (ls.str[:4] == rs.str[:4]).to_numpy()
    swapped = same_year & (ls.str[5:7] == rs.str[8:10]).to_numpy() & (ls.str[8:10] == rs.str[5:7]).to_numpy()
    one_digit = similarity("hamming", ls.to_numpy(dtype=object), rs.to_numpy(dtype=object)) <= 1
    sub = np.select([equal, swapped, one_digit], [3, 2, 1], 0).astype(np.int8)
    level[present] = sub[inverse]
    return level


def _sim_where(
    similarity: SimilarityFn, left: np.ndarray, right: np.ndarray, present: np.ndarray, floor: float
) -> np.ndarray:
    out = np.zeros(len(left), dtype=bool)
    if present.any():
        out[present] = similarity("jaro_winkler", left[present], right[present]) >= floor
    return out


def _variants_where(
    left: np.ndarray, right: np.ndarray, where: np.ndarray, table: Mapping[str, frozenset[str]]
) -> np.ndarray:
    """Where the two surname keys are forms of one surname in ``table`` (looked up once per distinct pair)."""
    out = np.zeros(len(left), dtype=bool)
    if where.any() and table:
        ul, ur, inverse = distinct_pairs(left[where], right[where])
        hit = np.fromiter((variants_agree(a, b, table) for a, b in zip(ul, ur, strict=True)), bool, count=len(ul))
        out[where] = hit[inverse]
    return out


def _person_name_levels(
    cmp: Comparison,
    left: pd.DataFrame,
    right: pd.DataFrame,
    similarity: SimilarityFn,
    surnames: Mapping[str, frozenset[str]] | None = None,
) -> np.ndarray:
    """Levels of the whole name (see settings.PERSON_NAME_LEVELS); -1 when the surnames cannot be compared."""
    assert cmp.surname_column is not None
    gl, gr = _values(left, cmp.column, None), _values(right, cmp.column, None)
    sl, sr = _values(left, cmp.surname_column, None), _values(right, cmp.surname_column, None)
    g_both = pd.notna(gl) & pd.notna(gr)
    s_both = pd.notna(sl) & pd.notna(sr)
    floor = cmp.thresholds[0]
    ge = np.zeros(len(gl), dtype=bool)
    ge[g_both] = gl[g_both] == gr[g_both]
    se = np.zeros(len(sl), dtype=bool)
    se[s_both] = sl[s_both] == sr[s_both]
    gs = _sim_where(similarity, gl, gr, g_both & ~ge, floor) | ge
    ss = _sim_where(similarity, sl, sr, s_both & ~se, floor) | se
    if cmp.surname_variants and surnames:
        # Wang / Wong, Li / Lee: another romanization of one surname is as good as a similar spelling.
        ss |= _variants_where(sl, sr, s_both & ~ss, surnames)
    gi = _initials(gl, gr, g_both, *_first_letters(cmp, left, right)) if cmp.initials else np.zeros(len(gl), bool)
    gn = np.zeros(len(gl), dtype=bool)
    if cmp.nickname_column:
        gn = nickname_agrees(left[cmp.nickname_column].to_numpy(object), right[cmp.nickname_column].to_numpy(object))
    full = g_both & s_both
    level = np.select(
        [
            full & ge & se,
            full & se & gn,
            full & se & gs,
            full & se & gi,
            full & (ge | gn) & ss,
            full & ge,
            full & se,
            full & (gs | gi) & ss,
            s_both & ~g_both & se,
            s_both & ~g_both & ss,
        ],
        [8, 7, 6, 5, 4, 3, 2, 1, 5, 1],
        0,
    ).astype(np.int8)
    return np.where(s_both, level, -1).astype(np.int8)


def _surname_in_business_levels(
    cmp: Comparison, left: pd.DataFrame, right: pd.DataFrame, similarity: SimilarityFn
) -> np.ndarray:
    """Whether a record named only by a business (no surname) carries the other record's surname among its
    business name's words: a sole trader's or family firm's billing name ("FHU Kowalczyk", "Davis & Sons Ltd")
    and its owner's own record. -1 unless exactly that: one side a business name without a surname, the other a
    surname (two business names are the company comparison's, two surnames the name's)."""
    assert cmp.surname_column is not None
    bl, br = _values(left, cmp.column, None), _values(right, cmp.column, None)
    sl, sr = _values(left, cmp.surname_column, None), _values(right, cmp.surname_column, None)
    left_business = pd.notna(bl) & pd.isna(sl) & pd.notna(sr)
    right_business = pd.notna(br) & pd.isna(sr) & pd.notna(sl)
    words = np.where(left_business, bl, br)
    surname = np.where(left_business, sr, sl)
    present = left_business | right_business
    level = np.full(len(bl), -1, dtype=np.int8)
    at = np.flatnonzero(present)
    if not len(at):
        return level
    split = [str(w).split(" ") for w in words[at]]
    owner = np.repeat(at, [len(w) for w in split])
    word = np.array([x for w in split for x in w], dtype=object)
    name = surname[owner]
    best = np.zeros(len(bl), dtype=np.int8)
    best[at] = 0
    if cmp.thresholds:
        sim = similarity(cmp.metric, word, name)
        close = sim <= cmp.thresholds[0] if cmp.metric == "levenshtein" else sim >= cmp.thresholds[0]
        np.maximum.at(best, owner[close], 1)
    np.maximum.at(best, owner[word == name], cmp.top_level)
    level[at] = best[at]
    return level


def across_abjad(cmp: Comparison, left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two sides with the compared keys replaced by their consonant skeletons on the pairs where one name was
    written in an abjad script and the other was not (see ``Comparison.abjad_column``); as given elsewhere."""
    if not cmp.abjad_column:
        return left, right
    mixed = pd.notna(left[cmp.abjad_column].to_numpy(object)) != pd.notna(right[cmp.abjad_column].to_numpy(object))
    if not mixed.any():
        return left, right
    keys = [c for c in (cmp.column, cmp.surname_column, cmp.fallback_column) if c]
    sides = []
    for side in (left, right):
        skeletons = side.copy(deep=False)  # the columns below are replaced, never written into
        for col in keys:
            values = skeletons[col].to_numpy(object).copy()
            at = mixed & pd.notna(values)
            values[at] = map_unique(pd.Series(values[at]), abjad_skeleton).to_numpy(object)
            skeletons[col] = values
        sides.append(skeletons)
    return sides[0], sides[1]


def tf_values(cmp: Comparison, frame: pd.DataFrame) -> np.ndarray:
    """The value whose frequency weights exact agreement (the whole name for person_name comparisons)."""
    values = _values(frame, cmp.column, cmp.fallback_column)
    if cmp.surname_column:
        surnames = frame[cmp.surname_column].to_numpy(object)
        both = pd.notna(values) & pd.notna(surnames)
        joined = np.full(len(values), None, dtype=object)
        joined[both] = values[both] + " " + surnames[both]
        return joined
    return values


def compare_values(
    cmp: Comparison,
    left: pd.DataFrame,
    right: pd.DataFrame,
    similarity: SimilarityFn = rapidfuzz_similarity,
    *,
    surnames: Mapping[str, frozenset[str]] | None = None,
) -> np.ndarray:
    """The level of every aligned pair for one comparison (-1 where a value is missing). A combined comparison is
    made from its parts' levels (``combined_levels``), not here. ``surnames``: the romanization groups of surnames
    (``surname_variant_table``) for person_name comparisons that use them."""
    if cmp.kind == "combined":
        raise ValueError(f"comparison {cmp.name!r} is combined: its level comes from its parts' levels")
    left, right = across_abjad(cmp, left, right)
    if cmp.kind == "person_name":
        return _person_name_levels(cmp, left, right, similarity, surnames)
    if cmp.kind == "surname_in_business":
        return _surname_in_business_levels(cmp, left, right, similarity)
    lv = _values(left, cmp.column, cmp.fallback_column)
    rv = _values(right, cmp.column, cmp.fallback_column)
    present = pd.notna(lv) & pd.notna(rv)
    if cmp.kind == "date":
        level = _date_levels(lv, rv, present, similarity)
    else:
        if cmp.kind == "exact":
            level = np.zeros(len(lv), dtype=np.int8)
        else:
            level, base = _string_levels(cmp, lv, rv, present, similarity)
            if base and cmp.initials:
                initial = _initials(lv, rv, present, *_first_letters(cmp, left, right))
                level = np.where((level == 0) & initial, 1, level).astype(np.int8)
            if cmp.nickname_column:
                nick = nickname_agrees(
                    left[cmp.nickname_column].to_numpy(object), right[cmp.nickname_column].to_numpy(object)
                )
                level = np.where(nick & present, cmp.top_level - 1, level).astype(np.int8)
        equal = np.zeros(len(lv), dtype=bool)
        equal[present] = lv[present] == rv[present]
        level = np.where(equal, cmp.top_level, level).astype(np.int8)
    return np.where(present, level, -1).astype(np.int8)


def _label_of(value: str | None, table: Mapping[str, frozenset[str]]) -> str | None:
    return nickname_label([value], table)


def _one_letter(values: np.ndarray) -> np.ndarray:
    return np.fromiter((isinstance(v, str) and len(v) == 1 for v in values), dtype=bool, count=len(values))


def _is_known_given(value: str | None, table: Mapping[str, frozenset[str]]) -> bool:
    return isinstance(value, str) and (is_known_given_name(value) or lookup_key(value) in table)


def _known_given(values: np.ndarray, table: Mapping[str, frozenset[str]]) -> np.ndarray:
    """Which values are known given names (the standardizer's list or the nickname table), once per value."""
    known = map_unique(pd.Series(values, dtype=object), partial(_is_known_given, table=table))
    return known.to_numpy(dtype=bool)


def _turn_left(
    la: np.ndarray, lb: np.ndarray, ra: np.ndarray, rb: np.ndarray, table: Mapping[str, frozenset[str]]
) -> np.ndarray:
    """Of two records to be compared turned round, those where the left one should be turned: it reads as the
    misread one (a known given name in its surname slot, none in its given-name slot) and the right one does not,
    or the right one reads surely (a known given name in its given-name slot only) and the left one does not."""
    known = [_known_given(v, table) for v in (la, lb, ra, rb)]
    left_sure, right_sure = known[0] & ~known[1], known[2] & ~known[3]
    left_misread, right_misread = known[1] & ~known[0], known[3] & ~known[2]
    turned: np.ndarray = (left_misread & ~right_misread) | (right_sure & ~left_sure)
    return turned


def _turned_beside_initial(
    where: np.ndarray,
    initial: np.ndarray,
    surname: np.ndarray,
    other_given: np.ndarray,
    other_surname: np.ndarray,
    *,
    similarity: SimilarityFn,
) -> np.ndarray:
    """Of pairs of an initial (``initial``, ``surname``) and a whole name, those where the whole name reads better
    turned round: its given-name slot is clearly nearer the initial's surname, its surname starts with the initial."""
    out = np.zeros(len(where), dtype=bool)
    at = np.flatnonzero(where)
    if not len(at):
        return out
    starts = np.fromiter(
        (str(s).startswith(str(i)) for i, s in zip(initial[at], other_surname[at], strict=True)),
        dtype=bool,
        count=len(at),
    )
    crossed = similarity("jaro_winkler", surname[at], other_given[at])
    straight = similarity("jaro_winkler", surname[at], other_surname[at])
    out[at] = starts & (crossed > straight + 0.2)
    return out


def swap_names(
    settings: LinkageSettings, left: pd.DataFrame, right: pd.DataFrame, similarity: SimilarityFn = rapidfuzz_similarity
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two sides with each swap pair (given name, surname) turned round on one of them where that fits better.

    The right record is turned, unless the left one is the likelier misread (see ``_turn_left``): "Westford Dot"
    beside "Dorothy Westford" is read "Dot Westford", so that Dot is compared with Dorothy as a given name (same
    surname, another or a nickname given name), not with Westford (same given name, another surname).
    """
    if not settings.swap:
        return left, right
    sides = [left.copy(deep=False), right.copy(deep=False)]  # turned columns are replaced whole, never written into
    table = nickname_table(tuple(tuple(g) for g in settings.nicknames))
    for a, b in settings.swap:
        la, lb = sides[0][a].to_numpy(object), sides[0][b].to_numpy(object)
        ra, rb = sides[1][a].to_numpy(object), sides[1][b].to_numpy(object)
        present = pd.notna(la) & pd.notna(lb) & pd.notna(ra) & pd.notna(rb)
        initial_l, initial_r = _one_letter(la), _one_letter(ra)
        # An initial ("ZALINSKI J.") is not turned: one letter is similar to any long word that holds it.
        full = present & ~(initial_l | initial_r)
        idx = np.flatnonzero(full)

        def sim(x: np.ndarray, y: np.ndarray, idx: np.ndarray = idx) -> np.ndarray:
            return similarity("jaro_winkler", x[idx], y[idx])

        turn = np.zeros(len(la), dtype=bool)
        if len(idx):
            straight = sim(la, ra) + sim(lb, rb)
            crossed = sim(la, rb) + sim(lb, ra)
            turn[idx] = crossed > straight + 0.2
        turn_left = np.zeros(len(la), dtype=bool)
        at = np.flatnonzero(turn)
        turn_left[at] = _turn_left(la[at], lb[at], ra[at], rb[at], table)
        turn_right = turn & ~turn_left
        # Beside an initial the other record is turned where its given-name slot holds the initial's surname and
        # its surname slot starts with the initial ("YANG W." and "Yang Wei" read given name Yang).
        turn_left |= _turned_beside_initial(present & initial_r & ~initial_l, ra, rb, la, lb, similarity=similarity)
        turn_right |= _turned_beside_initial(present & initial_l & ~initial_r, la, lb, ra, rb, similarity=similarity)
        # Both read the same way round, and both wrongly by the look of it ("Blackby Vicky" and "Blackby Victora"):
        # no known given name in either given-name slot, one in a surname slot. Both are turned.
        both = np.zeros(len(la), dtype=bool)
        at = np.flatnonzero(full & ~turn)
        known = [_known_given(v[at], table) for v in (la, lb, ra, rb)]
        both[at] = ~known[0] & ~known[2] & (known[1] | known[3])
        for side, where in ((0, turn_left | both), (1, turn_right | both)):
            if not where.any():
                continue
            frame = sides[side]
            va, vb = frame[a].to_numpy(object), frame[b].to_numpy(object)
            turned_a, turned_b = va.copy(), vb.copy()
            turned_a[where], turned_b[where] = vb[where], va[where]
            frame[a], frame[b] = turned_a, turned_b
            for cmp in settings.comparisons:
                if cmp.initial_column and cmp.column in (a, b) and cmp.initial_column in frame:
                    # The initial as written was the other word's: unknown now, the key's first letter is used.
                    first = frame[cmp.initial_column].to_numpy(object).copy()
                    first[where] = None
                    frame[cmp.initial_column] = first
                if cmp.nickname_column and cmp.column in (a, b):
                    labels = frame[cmp.nickname_column].to_numpy(object).copy()
                    names = pd.Series(frame[cmp.column].to_numpy(object)[where])
                    labels[where] = map_unique(names, partial(_label_of, table=table)).to_numpy()
                    frame[cmp.nickname_column] = labels
    return sides[0], sides[1]


def combined_levels(cmp: Comparison, levels: Mapping[str, np.ndarray]) -> np.ndarray:
    """A combined comparison's level from its parts' levels (``cmp_<part>`` in ``levels``): how many parts agree
    at any level above "different"; -1 where no part could be compared."""
    parts = [np.asarray(levels[f"cmp_{p}"]) for p in cmp.parts]
    present = np.logical_or.reduce([p >= 0 for p in parts])
    agree = np.sum([p >= 1 for p in parts], axis=0)
    return np.where(present, agree, -1).astype(np.int8)


def compare_frames(
    settings: LinkageSettings,
    left: pd.DataFrame,
    right: pd.DataFrame,
    similarity: SimilarityFn = rapidfuzz_similarity,
) -> pd.DataFrame:
    """One ``cmp_<name>`` level column per comparison for row-aligned left and right records, plus
    ``tf_<name>`` (the agreeing value) for comparisons weighted by term frequency."""
    if not isinstance(left.index, pd.RangeIndex) or left.index.start != 0:
        left = left.reset_index(drop=True)
    if not isinstance(right.index, pd.RangeIndex) or right.index.start != 0:
        right = right.reset_index(drop=True)
    left, right = swap_names(settings, left, right, similarity)
    out: dict[str, np.ndarray] = {}
    surnames = surname_variant_table(tuple(tuple(g) for g in settings.surname_variants))
    for cmp in settings.comparisons:
        if cmp.kind == "combined":
            continue
        level = compare_values(cmp, left, right, similarity, surnames=surnames)
        out[f"cmp_{cmp.name}"] = level
        if cmp.term_frequency:
            values = tf_values(cmp, left).copy()
            values[level != cmp.top_level] = None
            out[f"tf_{cmp.name}"] = values
    return pd.DataFrame(_with_combined(settings, out))


def _with_combined(settings: LinkageSettings, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The levels with those of the combined comparisons added, in the order of the settings."""
    for cmp in settings.comparisons:
        if cmp.kind == "combined":
            out[f"cmp_{cmp.name}"] = combined_levels(cmp, out)
    order = [f for cmp in settings.comparisons for f in (f"cmp_{cmp.name}", f"tf_{cmp.name}") if f in out]
    return {f: out[f] for f in order}


def compared_columns(settings: LinkageSettings) -> tuple[str, ...]:
    """The prepared columns the comparisons (and swaps) read."""
    cols = [c for cmp in settings.comparisons for c in cmp.columns]
    cols += [c for pair in settings.swap for c in pair]
    return tuple(dict.fromkeys(cols))


def comparison_groups(settings: LinkageSettings) -> list[LinkageSettings]:
    """The comparisons split into groups whose levels depend on nothing but the group's own columns of the two
    records: those that read a column which swaps go together, with the swap; every other comparison alone.
    Combined comparisons are in no group: they are made from their parts' levels afterwards."""
    swapped = {c for pair in settings.swap for c in pair}
    own = [c for c in settings.comparisons if c.kind != "combined"]
    turning = [c for c in own if swapped & set(c.columns)]
    groups = [settings.model_copy(update={"comparisons": turning})] if turning else []
    groups += [
        settings.model_copy(update={"comparisons": [c], "swap": []}) for c in own if not swapped & set(c.columns)
    ]
    return groups


class _RecordCodes:
    """Each record's values in some columns as one integer: records with equal codes hold equal values there."""

    def __init__(self, prepared: pd.DataFrame, columns: tuple[str, ...]) -> None:
        codes = np.zeros(len(prepared), dtype=np.int64)
        for c in columns:
            own, uniques = pd.factorize(prepared[c], use_na_sentinel=False)
            codes, _ = pd.factorize(codes * (len(uniques) + 1) + own)
        self.codes = codes.astype(np.int64)
        self.width = int(self.codes.max()) + 1 if len(self.codes) else 1
        self.first = np.unique(self.codes, return_index=True)[1]  # a record holding each code's values
        self.columns = {c: prepared[c].to_numpy() for c in columns}

    def records(self, at: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({c: values[at] for c, values in self.columns.items()}, copy=False)


class RecordCodes:
    """The codes of one prepared frame per group of columns, made on first use and kept: a night compares the
    candidate pairs, the random pairs, the steward's pairs and the conflict checks on the same records."""

    def __init__(self, prepared: pd.DataFrame) -> None:
        self.prepared = prepared
        self._made: dict[tuple[str, ...], _RecordCodes] = {}

    def of(self, columns: tuple[str, ...]) -> _RecordCodes:
        if columns not in self._made:  # two threads may both make one: the same codes, the last one kept
            self._made[columns] = _RecordCodes(self.prepared, columns)
        return self._made[columns]


def _compare_group(
    group: LinkageSettings,
    codes: _RecordCodes,
    left: np.ndarray,
    right: np.ndarray,
    *,
    chunk: int,
    similarity: SimilarityFn,
) -> dict[str, np.ndarray]:
    """``compare_frames`` of one group, computed once per distinct pair of values and spread back to the pairs."""
    inverse, distinct = pd.factorize(codes.codes[left] * codes.width + codes.codes[right])  # hashing, not sorting
    one, other = codes.first[distinct // codes.width], codes.first[distinct % codes.width]
    # A group that reads one column has distinct pairs of values already (or nearly: a script fold may make a few
    # equal, which costs a repeat, not a wrong level); with more columns a column's pairs may repeat a lot.
    token = _ALREADY_DISTINCT.set(len(compared_columns(group)) == 1 and not group.swap)
    try:
        parts = [
            compare_frames(group, codes.records(one[at]), codes.records(other[at]), similarity=similarity)
            for at in (slice(start, start + chunk) for start in range(0, max(len(distinct), 1), chunk))
        ]
    finally:
        _ALREADY_DISTINCT.reset(token)
    found = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return {name: found[name].to_numpy()[inverse] for name in found.columns}


def compare_pairs(
    settings: LinkageSettings,
    prepared: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    *,
    chunk: int = 500_000,
    similarity: SimilarityFn = rapidfuzz_similarity,
    workers: int | None = None,
    codes: RecordCodes | None = None,
) -> pd.DataFrame:
    """``compare_frames`` over pairs given as positions into one prepared frame.

    Records repeat their values (one person's name on every row of the call log, a city shared by thousands): each
    group of comparisons runs once per distinct pair of the values it reads, in chunks to bound memory. Groups are
    independent, so they run side by side on ``workers`` threads (default: one per core): the string scorers,
    hashing and array copies release the interpreter lock. ``codes``: those of earlier calls on ``prepared``."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    if codes is None or codes.prepared is not prepared:
        codes = RecordCodes(prepared)
    known = codes

    def levels_of(group: LinkageSettings) -> dict[str, np.ndarray]:
        return _compare_group(group, known.of(compared_columns(group)), left, right, chunk=chunk, similarity=similarity)

    groups = comparison_groups(settings)
    threads = min(len(groups), workers if workers is not None else usable_cores())
    if threads > 1:
        with ThreadPoolExecutor(threads, thread_name_prefix="compare") as pool:
            found = list(pool.map(levels_of, groups))
    else:
        found = [levels_of(group) for group in groups]
    out: dict[str, np.ndarray] = {}
    for levels in found:
        out |= levels
    return pd.DataFrame(_with_combined(settings, out))
