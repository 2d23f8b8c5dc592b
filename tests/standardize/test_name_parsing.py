"""split_full_name: the parts of a full name written in either order, in several scripts."""

import pandas as pd
import pytest

from transforms.standardize.names import ParsedName, split_full_name, split_full_names


def parsed(
    given: str | None,
    surname: str | None,
    patronymic: str | None = None,
    initials: str | None = None,
    ambiguity: str | None = None,
) -> ParsedName:
    return ParsedName(given, surname, patronymic, initials, ambiguity)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # Russian official order, told by the patronymic
        ("Иванов Иван Петрович", parsed("Иван", "Иванов", "Петрович", "И.П.")),
        ("ИВАНОВ ИВАН ПЕТРОВИЧ", parsed("Иван", "Иванов", "Петрович", "И.П.")),
        ("Иван Петрович Иванов", parsed("Иван", "Иванов", "Петрович", "И.П.")),
        ("Петрова Анна Сергеевна", parsed("Анна", "Петрова", "Сергеевна", "А.С.")),
        ("Алиев Рашид Ахмед оглы", parsed("Рашид", "Алиев", "Ахмед оглы", "Р.А.")),
        ("Ivanov Ivan Petrovich", parsed("Ivan", "Ivanov", "Petrovich", "I.P.")),
        # two words: surname endings and known given names decide
        ("Ivan Ivanov", parsed("Ivan", "Ivanov", initials="I.")),
        ("Ivanov Ivan", parsed("Ivan", "Ivanov", initials="I.")),
        ("Иванов Иван", parsed("Иван", "Иванов", initials="И.")),
        ("Пушкарь Константин", parsed("Константин", "Пушкарь", initials="К.")),  # Константин ends like a surname
        ("Jan Kowalski", parsed("Jan", "Kowalski", initials="J.")),
        ("Kowalska Anna", parsed("Anna", "Kowalska", initials="A.")),
        ("Лукашевич Александр", parsed("Александр", "Лукашевич", initials="А.")),  # -евич as a surname
        ("Krawczyk Antoni", parsed("Antoni", "Krawczyk", initials="A.")),  # -czyk, and a known given name
        ("Leon Kubiak", parsed("Leon", "Kubiak", initials="L.")),
        ("Mary Li", parsed("Mary", "Li", initials="M.")),  # a known given name outweighs the pinyin surname
        # capitals and initials
        ("IVANOV I.", parsed(None, "Ivanov", initials="I.")),
        ("IVANOV Ivan", parsed("Ivan", "Ivanov", initials="I.")),
        ("John SMITH", parsed("John", "Smith", initials="J.")),
        ("Ivanov I.P.", parsed(None, "Ivanov", initials="I.P.")),
        ("И.П.Иванов", parsed(None, "Иванов", initials="И.П.")),
        ("I. Ivanov", parsed(None, "Ivanov", initials="I.")),
        # a comma means surname first
        ("Ivanov, Ivan", parsed("Ivan", "Ivanov", initials="I.")),
        ("Ivanov, Ivan Petrovich", parsed("Ivan", "Ivanov", "Petrovich", "I.P.")),
        ("Smith, John A.", parsed("John", "Smith", initials="J.A.")),
        ("de la Cruz, Maria", parsed("Maria", "de la Cruz", initials="M.")),
        # Chinese
        ("王伟", parsed("伟", "王")),
        ("欧阳娜娜", parsed("娜娜", "欧阳")),  # compound family name
        ("王 伟", parsed("伟", "王")),
        ("王先生", parsed(None, "王")),  # a title after the family name
        ("约翰·史密斯", parsed("约翰", "史密斯")),  # a foreign name in characters keeps its order
        ("罗浩然 (Luo Haoran)", parsed("浩然", "罗")),  # another spelling in brackets is dropped
        ("Li Ming", parsed("Ming", "Li", initials="M.")),
        ("Ouyang Nana", parsed("Nana", "Ouyang", initials="N.")),
        # Persian: given name first
        ("علی رضایی", parsed("علی", "رضایی")),
        ("علي رضائي", parsed("علی", "رضائی")),  # Arabic letters unified
        # titles and suffixes dropped, particles kept with the surname
        ("Mr. John Smith Jr.", parsed("John", "Smith", initials="J.")),
        ("Anna Nowak (z d. Kowalska)", parsed("Anna", "Nowak", initials="A.")),
        ("Pan Jan Kowalski", parsed("Jan", "Kowalski", initials="J.")),
        ("آقای علی رضایی", parsed("علی", "رضایی")),
        ("г-н Иванов Иван", parsed("Иван", "Иванов", initials="И.")),
        ("Marina", parsed("Marina", None, initials="M.")),
        ("Kowalski", parsed(None, "Kowalski")),
    ],
)
def test_unambiguous_names(written: str, expected: ParsedName) -> None:
    assert split_full_name(written) == expected
    assert not split_full_name(written).ambiguous


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # Both Wang and Wei are Chinese surnames: native order assumed, the doubt reported.
        ("Wang Wei", parsed("Wei", "Wang", initials="W.", ambiguity="pinyin_order")),
        # A first name + patronymic, or a first name + a surname ending in -ович?
        ("Иван Петрович", parsed("Иван", None, "Петрович", "И.П.", "patronymic_or_surname")),
        # In Latin letters, surname first is told only by the known given name: a guess ("Elton John").
        ("Nowak Jan", parsed("Jan", "Nowak", initials="J.", ambiguity="order_guessed")),
        ("Zięba Beata", parsed("Beata", "Zięba", initials="B.", ambiguity="order_guessed")),
        # No sign of the order at all: the Western order, reported.
        ("Xavier Dupont", parsed("Xavier", "Dupont", initials="X.", ambiguity="order_unknown")),
        # A middle name, or the first of two surnames (García Márquez)?
        ("John Ronald Tolkien", parsed("John Ronald", "Tolkien", initials="J.", ambiguity="middle_words")),
        ("محمد علی رضایی", parsed("محمد علی", "رضایی", ambiguity="middle_words")),
        # Four characters with no compound surname: Japanese 2+2 or a double surname.
        ("山田太郎", parsed("太郎", "山田", ambiguity="han_split_guessed")),
        ("Dupont", parsed(None, "Dupont", ambiguity="single_word")),
        ("J.R.R.", parsed(None, None, initials="J.R.R.", ambiguity="initials_only")),
    ],
)
def test_ambiguous_names_say_why(written: str, expected: ParsedName) -> None:
    result = split_full_name(written)
    assert result == expected
    assert result.ambiguous


def test_empty_names() -> None:
    assert split_full_name("") == ParsedName()
    assert split_full_name("   ") == ParsedName()


def test_split_full_names_column() -> None:
    values = pd.Series(["Иванов Иван Петрович", None, "Jan Kowalski", "Иванов Иван Петрович"], index=[5, 6, 7, 8])
    frame = split_full_names(values)
    assert list(frame.columns) == ["given_name", "surname", "patronymic", "initials", "name_ambiguity"]
    assert list(frame.index) == [5, 6, 7, 8]
    assert frame["surname"].tolist() == ["Иванов", None, "Kowalski", "Иванов"]
    assert frame["patronymic"].tolist() == ["Петрович", None, None, "Петрович"]


def test_a_common_english_given_name_written_last_is_read_as_the_given_name() -> None:
    # "Surname Given" as accounting bills it; Latin letters only, so the order stays marked as a guess.
    assert split_full_name("Hartman Victoria") == parsed(
        "Victoria", "Hartman", initials="V.", ambiguity="order_guessed"
    )
    assert split_full_name("Sophie Mider") == parsed("Sophie", "Mider", initials="S.")
