"""Each sales manager's workbook as they built it: their headers, their title rows, their habits.

One layout per workbook, written as data: the same layout drives the writer (``workbooks.py``) and the
source declaration (``sources_file.py``), so the headers in sources.yml are always the ones written.
"""

from __future__ import annotations

from dataclasses import dataclass

from devkit.generator.name_forms import NamePolicy
from devkit.generator.records import SourceStyle

PL, RU, US, IR, CN = range(5)


@dataclass(frozen=True)
class Column:
    """A column: its header as written, the logical field it holds, and its mapping in sources.yml."""

    header: str
    field: str  # a RecordRenderer field, or "_ordinal" / "_responsible"
    target: str | None = None  # None: the column is not declared (row numbers "Lp.")


@dataclass(frozen=True)
class WorkbookLayout:
    """One manager's workbook."""

    source: str
    description: str
    title_rows: tuple[str, ...]  # rows above the header; "" is an empty row; {date} is the as-of date
    title_date_format: str
    sheets: tuple[str, ...]  # (main, archive) or (main,)
    extra_sheet: str | None  # a non-data sheet: hidden notes or a visible lookup list
    extra_hidden: bool
    columns: tuple[Column, ...]
    style: SourceStyle
    date_cell_format: str  # number format of date-typed cells
    sections: str | None  # "city" or "vip": title rows grouping the main sheet
    section_labels: tuple[str, str]  # format for city sections, or (vip label, regular label)
    total_label: str | None  # "{n}" is the number of records
    repeated_header: bool
    responsible_employee: str | None  # one employee for the whole file, else a column
    phone_region: str
    date_order: str
    country: str | None
    sheets_selector: str  # "all" or "list"
    zip_as_number: float = 0.0  # US ZIP codes typed into number cells (02108 -> 2108)


def _c(header: str, field: str, target: str | None = "") -> Column:
    return Column(header, field, field if target == "" else target)


LAYOUTS: tuple[WorkbookLayout, ...] = (
    WorkbookLayout(
        source="anna_kowalska",
        description="Anna Kowalska's customer list: current sheet grouped by city, archive sheet, hidden notes.",
        title_rows=("Domtech Sp. z o.o.", "Lista klientów – stan na {date}", ""),
        title_date_format="%d.%m.%Y",
        sheets=("Klienci", "Archiwum"),
        extra_sheet="Notatki",
        extra_hidden=True,
        columns=(
            _c("Lp.", "_ordinal", None),
            _c("Nazwisko", "surname"),
            _c("Imię", "given_name"),
            _c("Telefon", "phone"),
            _c("E-mail", "email"),
            _c("Data urodzenia", "date_of_birth"),
            _c("Miasto", "city"),
            _c("Kod pocztowy", "postcode"),
            _c("Ulica", "street"),
            _c("Zwierzęta", "attributes.pets"),
            _c("Oczekiwany prezent", "attributes.expected_gift"),
            _c("Ostatnia aktualizacja", "last_updated"),
            _c("Uwagi", "notes"),
        ),
        style=SourceStyle(
            lang="pl",
            region=PL,
            names=NamePolicy(
                native=(1.0, 0.0, 1.0, 0.0, 0.0),
                ru_schemes=(("pl", 0.8), ("en", 0.2)),
                fold_diacritics=0.05,
                upper_surname=0.05,
            ),
            phone_styles=(
                ("national_spaced", 0.4),
                ("national_dashed", 0.15),
                ("national_digits", 0.15),
                ("intl_spaced", 0.15),
                ("e164", 0.05),
                ("intl_00_paren", 0.05),
                ("tel_prefix", 0.05),
            ),
            phone_number_cell=0.25,
            dob_formats=(("excel", 0.9), ("dmy_dot", 0.1)),
            date_format="excel",
        ),
        date_cell_format="DD.MM.YYYY",
        sections="city",
        section_labels=("— {} —", ""),
        total_label="Razem: {n}",
        repeated_header=False,
        responsible_employee="Anna Kowalska",
        phone_region="PL",
        date_order="DMY",
        country="PL",
        sheets_selector="all",
    ),
    WorkbookLayout(
        source="biuro_warszawa",
        description="Warsaw office sheet shared by Piotr Nowak and Katarzyna Wiśniewska; one full-name column.",
        title_rows=(),
        title_date_format="",
        sheets=("Arkusz1",),
        extra_sheet=None,
        extra_hidden=False,
        columns=(
            _c("Klient", "full_name"),
            _c("Firma", "company"),
            _c("NIP", "tax_id"),
            _c("Telefon kom.", "phone"),
            _c("Email", "email"),
            _c("Data ur.", "date_of_birth"),
            _c("Adres", "address"),
            _c("Opiekun", "_responsible", "responsible"),
            _c("Płatności", "reliability_note"),
            _c("Skąd klient", "channel"),
        ),
        style=SourceStyle(
            lang="pl",
            region=PL,
            names=NamePolicy(
                native=(1.0, 0.0, 1.0, 0.0, 0.0),
                ru_schemes=(("pl", 0.7), ("en", 0.3)),
                fold_diacritics=0.1,
                layout="full",
                full_orders=(("SG", 0.6), ("GS", 0.3), ("S_INITIALS", 0.1)),
            ),
            phone_styles=(
                ("national_spaced", 0.35),
                ("national_dashed", 0.2),
                ("national_digits", 0.15),
                ("intl_spaced", 0.1),
                ("intl_00", 0.1),
                ("e164", 0.1),
            ),
            phone_number_cell=0.1,
            dob_formats=(("dmy_dot", 0.65), ("compact", 0.15), ("dmy_dot_short", 0.2)),
        ),
        date_cell_format="DD.MM.YYYY",
        sections=None,
        section_labels=("", ""),
        total_label=None,
        repeated_header=True,
        responsible_employee=None,
        phone_region="PL",
        date_order="DMY",
        country="PL",
        sheets_selector="all",
    ),
    WorkbookLayout(
        source="john_miller",
        description="John Miller's US customer list: month-first text dates, VIP and regular sections.",
        title_rows=("Customer List — John Miller", ""),
        title_date_format="%m/%d/%Y",
        sheets=("Customers",),
        extra_sheet=None,
        extra_hidden=False,
        columns=(
            _c("Last Name", "surname"),
            _c("First Name", "given_name"),
            _c("Phone", "phone"),
            _c("Email", "email"),
            _c("Birthday", "date_of_birth"),
            _c("Street Address", "street"),
            _c("City", "city"),
            _c("State", "attributes.state"),
            _c("ZIP", "postcode"),
            _c("Preferred Brands", "attributes.preferred_brands"),
            _c("Pets", "attributes.pets"),
            _c("Payment", "reliability_note"),
            _c("Source", "channel"),
            _c("Last Contact", "last_updated"),
        ),
        style=SourceStyle(
            lang="en",
            region=US,
            names=NamePolicy(
                native=(1.0, 0.0, 1.0, 0.0, 0.0), ru_schemes=(("en", 0.8), ("en_off", 0.2)), fold_diacritics=0.3
            ),
            phone_styles=(
                ("national_spaced", 0.35),
                ("national_dashed", 0.25),
                ("national_alt", 0.1),
                ("national_digits", 0.1),
                ("e164", 0.1),
                ("intl_spaced", 0.1),
            ),
            phone_number_cell=0.15,
            dob_formats=(("mdy_slash", 0.6), ("mdy_slash_pad", 0.3), ("excel", 0.05), ("mdy_long", 0.05)),
            dob_fallback="mdy_slash",
            date_format="mdy_slash",
        ),
        date_cell_format="M/D/YYYY",
        sections="vip",
        section_labels=("VIP", "Regular customers"),
        total_label="Total customers: {n}",
        repeated_header=False,
        responsible_employee="John Miller",
        phone_region="US",
        date_order="MDY",
        country="US",
        sheets_selector="all",
        zip_as_number=0.5,
    ),
    WorkbookLayout(
        source="irina_sokolova",
        description="Irina Sokolova's Russian-language list: ФИО in one column, a lookup sheet next to it.",
        title_rows=("ООО «Домтех» — клиенты И. Соколовой", ""),
        title_date_format="%d.%m.%Y",
        sheets=("Клиенты",),
        extra_sheet="Справочник",
        extra_hidden=False,
        columns=(
            _c("№", "_ordinal", None),
            _c("ФИО", "full_name"),
            _c("Телефон", "phone"),
            _c("Эл. почта", "email"),
            _c("Дата рождения", "date_of_birth"),
            _c("Город", "city"),
            _c("Адрес", "street"),
            _c("Подарок", "attributes.expected_gift"),
            _c("Откуда узнал", "channel"),
            _c("Дата изменения", "last_updated"),
        ),
        style=SourceStyle(
            lang="ru",
            region=RU,
            names=NamePolicy(
                native=(0.0, 1.0, 0.0, 0.0, 0.0),
                layout="full",
                patronymic=True,
                yo_as_e=0.4,
                full_orders=(("SG", 0.7), ("GS", 0.1), ("S_INITIALS", 0.1), ("GS_UPPER", 0.1)),
            ),
            phone_styles=(
                ("national_spaced", 0.45),
                ("national_dashed", 0.1),
                ("national_digits", 0.1),
                ("national_alt", 0.1),
                ("intl_spaced", 0.2),
                ("e164", 0.05),
            ),
            phone_number_cell=0.15,
            dob_formats=(("excel", 0.6), ("dmy_dot", 0.4)),
            date_format="excel",
        ),
        date_cell_format="DD.MM.YYYY",
        sections=None,
        section_labels=("", ""),
        total_label="Итого: {n} клиентов",
        repeated_header=False,
        responsible_employee="Ирина Соколова",
        phone_region="RU",
        date_order="DMY",
        country=None,
        sheets_selector="list",
    ),
    WorkbookLayout(
        source="reza_ahmadi",
        description="Reza Ahmadi's list in Persian: Persian-script names, some Persian digits, year-first dates.",
        title_rows=("فهرست مشتریان",),
        title_date_format="%Y/%m/%d",
        sheets=("مشتریان",),
        extra_sheet=None,
        extra_hidden=False,
        columns=(
            _c("ردیف", "_ordinal", None),
            _c("نام", "given_name"),
            _c("نام خانوادگی", "surname"),
            _c("تلفن همراه", "phone"),
            _c("ایمیل", "email"),
            _c("تاریخ تولد", "date_of_birth"),
            _c("شهر", "city"),
            _c("برند مورد علاقه", "attributes.preferred_brands"),
            _c("نحوه آشنایی", "channel"),
        ),
        style=SourceStyle(
            lang="fa",
            region=IR,
            names=NamePolicy(native=(0.0, 0.0, 0.0, 0.9, 0.0)),
            phone_styles=(
                ("national_spaced", 0.4),
                ("national_digits", 0.25),
                ("national_alt", 0.1),
                ("intl_spaced", 0.15),
                ("e164", 0.1),
            ),
            phone_number_cell=0.15,
            phone_persian=0.25,
            dob_formats=(("ymd_slash", 0.8), ("iso", 0.2)),
            dob_fallback="ymd_slash",
            dob_persian=0.3,
        ),
        date_cell_format="YYYY/MM/DD",
        sections=None,
        section_labels=("", ""),
        total_label="جمع کل: {n}",
        repeated_header=False,
        responsible_employee="Reza Ahmadi",
        phone_region="IR",
        date_order="YMD",
        country=None,
        sheets_selector="all",
    ),
    WorkbookLayout(
        source="li_wei",
        description="Li Wei's list in Chinese: Han names (some with pinyin), 1984年7月2日 and 19840702 dates.",
        title_rows=("客户名单（{date}）", ""),
        title_date_format="%Y年%m月",
        sheets=("客户名单",),
        extra_sheet=None,
        extra_hidden=False,
        columns=(
            _c("序号", "_ordinal", None),
            _c("姓名", "full_name"),
            _c("性别", "sex"),
            _c("手机", "phone"),
            _c("邮箱", "email"),
            _c("出生日期", "date_of_birth"),
            _c("城市", "city"),
            _c("地址", "street"),
            _c("喜欢的品牌", "attributes.preferred_brands"),
            _c("备注", "notes"),
        ),
        style=SourceStyle(
            lang="zh",
            region=CN,
            names=NamePolicy(
                native=(0.0, 0.0, 0.0, 0.0, 0.9),
                pinyin_suffix=0.2,
                layout="full",
                full_orders=(("SG", 0.6), ("GS", 0.4)),
            ),
            phone_styles=(
                ("national_spaced", 0.4),
                ("national_digits", 0.3),
                ("national_dashed", 0.1),
                ("intl_spaced", 0.1),
                ("e164", 0.1),
            ),
            phone_number_cell=0.2,
            dob_formats=(("zh", 0.5), ("compact", 0.25), ("iso", 0.15), ("excel", 0.1)),
            dob_fallback="zh",
        ),
        date_cell_format="YYYY-MM-DD",
        sections="vip",
        section_labels=("VIP客户", "普通客户"),
        total_label="合计：{n}",
        repeated_header=False,
        responsible_employee="Li Wei",
        phone_region="CN",
        date_order="YMD",
        country=None,
        sheets_selector="all",
    ),
)


def layout(source: str) -> WorkbookLayout:
    """The layout of the workbook source ``source``."""
    for lay in LAYOUTS:
        if lay.source == source:
            return lay
    raise KeyError(source)
