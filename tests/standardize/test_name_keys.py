"""name_key, phonetic_key and the nickname table: one key for the spellings of one name, not for two names."""

import pytest

from transforms.standardize.names import (
    abjad_skeleton,
    load_nicknames,
    name_key,
    nickname_groups,
    phonetic_key,
    written_in_abjad,
)


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Ivanov", "Iwanow", "Ivanoff", "Иванов", "IVANOV"], "ivanov"),
        (["Kuznetsov", "Kuzniecow", "Kouznetsov", "Кузнецов"], "kuznecov"),
        (["Aleksandr", "Alexandr", "Александр"], "aleksandr"),
        (["Evgeny", "Yevgeniy", "Jewgienij", "Evgenij", "Евгений"], "evgeni"),
        (["Shcherbakov", "Szczerbakow", "Schtscherbakow", "Щербаков"], "sherbakov"),
        (["Zhukov", "Żukow", "Жуков"], "zhukov"),
        (["Chaikovsky", "Tchaikovsky", "Czajkowski", "Tschaikowski", "Чайковский"], "haikovski"),
        (["Chaikovskaya", "Czajkowska", "Чайковская"], "haikovska"),
        (["Yelena", "Jelena", "Elena", "Елена"], "elena"),
        (["Yuri", "Yury", "Jurij", "Iouri", "Юрий"], "uri"),
        (["Sergey", "Sergei", "Siergiej", "Сергей"], "sergei"),
        (["Vasilyev", "Vasiliev", "Wasiliew", "Vassiliev", "Васильев"], "vasilev"),
        (["Tsvetaeva", "Cwietajewa", "Цветаева"], "cvetaeva"),
        (["Dmitry", "Dmitriy", "Dmitrij", "Дмитрий"], "dmitri"),
        (["Smirnov", "Smirnoff", "Smirnow", "Смирнов"], "smirnov"),
        (["Mary-Ann", "Maryann", "Mary Ann"], "marian"),
        (["王伟", "Wang Wei"], "vangvei"),
        # English names typed in Cyrillic: дж is j, у before a vowel is w
        (["Jennifer", "Дженнифер", "Djennifer"], "enifer"),
        (["Joshua", "Джошуа"], "oshua"),
        (["Watson", "Уатсон", "Уацон"], "vacon"),
        (["Weston", "Уестон"], "veston"),
        (["Lewis", "Леуис"], "levis"),
    ],
)
def test_spellings_of_one_name_share_a_key(spellings: list[str], key: str) -> None:
    assert {s: name_key(s) for s in spellings} == dict.fromkeys(spellings, key)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Petrov", "Popov"),
        ("Ivanov", "Ivanova"),  # husband and wife are two people: gender endings are kept
        ("Kowalski", "Kowalska"),
        ("Oleksandr", "Aleksandr"),  # a different form of the name, not a spelling (see nicknames)
        ("Ivanov", "Ivashov"),
        ("Nowak", "Novik"),
        ("Maria", "Mario"),
    ],
)
def test_different_names_get_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_name_key_of_nothing() -> None:
    assert name_key("") == ""
    assert name_key("  - ") == ""


def test_phonetic_key_joins_near_homophones_only() -> None:
    assert phonetic_key("Petrov") == phonetic_key("Pietrow") == phonetic_key("Петров") == "PTRF"
    assert phonetic_key("Petrov") != phonetic_key("Popov")
    assert phonetic_key("") == ""


def test_nickname_groups_across_scripts() -> None:
    assert nickname_groups("Саша") == {"Aleksandr", "Aleksandra"}
    assert nickname_groups("Sascha") == {"Aleksandr", "Aleksandra"}
    assert nickname_groups("Bob") == {"Robert"}
    assert nickname_groups("Gosia") == {"Małgorzata"}
    assert nickname_groups("Катя") == {"Ekaterina"}
    assert nickname_groups("Oleksandr") == {"Aleksandr"}
    assert nickname_groups("Zbigniewa") == frozenset()


def test_persian_names_are_compared_as_written() -> None:
    # "علی" has the Latin skeleton "li": it must not take the Chinese surname Li into its group.
    assert nickname_groups("علي") == {"علی"}
    assert nickname_groups("Li") == frozenset()
    assert len(load_nicknames()) > 100


@pytest.mark.parametrize(
    ("written", "latin"),
    [
        ("نوری", "Noori"),
        ("نوری", "Nuri"),
        ("أحمد", "Ahmed"),
        ("يوسف", "Yusuf"),
        ("رمضان", "Ramazan"),  # ض reads z in Persian ...
        ("رمضان", "Ramadan"),  # ... and d in Arabic
        ("قاسمی", "Ghasemi"),
        ("قاسمی", "Qasemi"),
        ("دهقان", "Dehghan"),
        ("تهران", "Tehran"),
        ("فاطمه", "Fatima"),
        ("עמית", "Amit"),
    ],
)
def test_abjad_skeleton_joins_a_name_written_without_vowels_and_its_latin_spelling(written: str, latin: str) -> None:
    assert written_in_abjad(written) and not written_in_abjad(latin)
    assert name_key(written) != name_key(latin)  # the keys differ: the script writes no short vowels
    assert abjad_skeleton(name_key(written)) == abjad_skeleton(name_key(latin))


@pytest.mark.parametrize(("written", "latin"), [("نوری", "Nasser"), ("حسین", "Hashemi"), ("کریمی", "Kamali")])
def test_abjad_skeleton_keeps_other_names_apart(written: str, latin: str) -> None:
    assert abjad_skeleton(name_key(written)) != abjad_skeleton(name_key(latin))


def test_written_in_abjad_goes_by_most_letters() -> None:
    assert not written_in_abjad("علی Rezaei")  # more Latin letters than Persian ones
    assert written_in_abjad("نازنین نوری")
    assert not written_in_abjad("") and not written_in_abjad("123")
