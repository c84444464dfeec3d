"""The column contract of core-banking extracts: what a file must contain, and how it is read.

One :class:`Contract` per import kind. A header cell names a column by its English
name (any case) or by one of its Chinese aliases; columns the contract does not know
are ignored, and reported as ignored. ``docs/imports.md`` is this module in prose —
keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from customers.models import Gender, ImportKind, ProductType, RiskLevel

# Rows are validated and staged this many at a time: large enough that per-chunk
# overhead vanishes, small enough that a chunk's frames stay well under 100 MB.
CHUNK_ROWS = 50_000
# 2 GiB is about 12 million customer rows; larger extracts are split by the bank.
MAX_FILE_BYTES = 2 * 1024**3


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ColumnType(StrEnum):
    CODE = "code"  # an identifier: letters, digits, '-', '_'
    REFERENCE = "reference"  # the code of something scrm knows: a branch, an employee
    TEXT = "text"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    type: ColumnType
    description: str | Promise
    example: str
    # The header must name this column (otherwise the upload is refused).
    required: bool = True
    # A cell may be empty; ``description`` says what an empty cell means.
    blank: bool = False
    max_length: int | None = None
    # Accepted spellings (compared case-insensitively) → the stored value.
    choices: Mapping[str, str] = field(default_factory=dict)
    # Dates and times that cannot lie in the future (birth dates, last contact).
    past_only: bool = False

    @property
    def header_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def __post_init__(self) -> None:
        # Stored values as plain strings, not enum members: they go to SQL and to reports.
        object.__setattr__(self, "choices", {spelling: str(value) for spelling, value in self.choices.items()})

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Choices as usually spelt (the stored value, upper-case codes): matched without case folding."""
        return {
            **self.choices,
            **{spelling.upper(): value for spelling, value in self.choices.items()},
            **{value: value for value in self.choices.values()},
        }


@dataclass(frozen=True)
class HeaderMapping:
    """Where each contract column sits in the file, and what the file called it."""

    positions: dict[str, int]  # column name → 0-based position in the file
    labels: dict[str, str]  # column name → the header cell as written in the file
    ignored: tuple[str, ...]  # header cells the contract does not know

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


@dataclass(frozen=True)
class HeaderProblems:
    missing: tuple[str, ...]
    duplicated: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.missing or self.duplicated)


def _header_key(cell: object) -> str:
    return str(cell or "").strip().lstrip("\ufeff").strip().casefold()


@dataclass(frozen=True)
class Contract:
    kind: ImportKind
    columns: tuple[Column, ...]
    # The column(s) that identify a row; a file repeating them is in error.
    key: tuple[str, ...]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def position(self, name: str) -> int:
        """The column's place in the contract: errors of one row are reported in this order."""
        return self._positions[name]

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {column.name: position for position, column in enumerate(self.columns)}

    def header_map(self, header: Sequence[object]) -> tuple[HeaderMapping, HeaderProblems]:
        """Match header cells to columns; report required columns that are missing or named twice."""
        by_alias = {_header_key(name): column.name for column in self.columns for name in column.header_names}
        positions: dict[str, int] = {}
        labels: dict[str, str] = {}
        ignored: list[str] = []
        duplicated: list[str] = []
        for position, cell in enumerate(header):
            name = by_alias.get(_header_key(cell))
            label = str(cell or "").strip().lstrip("\ufeff")
            if name is None:
                if label:
                    ignored.append(label)
            elif name in positions:
                duplicated.append(name)
            else:
                positions[name] = position
                labels[name] = label
        missing = tuple(column.name for column in self.columns if column.required and column.name not in positions)
        return (
            HeaderMapping(positions=positions, labels=labels, ignored=tuple(ignored)),
            HeaderProblems(missing=missing, duplicated=tuple(dict.fromkeys(duplicated))),
        )

    def describe(self, names: Sequence[str]) -> list[str]:
        """'phone (手机号)' for each column name: what to add to a refused file's header."""
        return [f"{name} ({self.column(name).aliases[0]})" if self.column(name).aliases else name for name in names]


GENDER_CHOICES = {
    "m": Gender.MALE,
    "male": Gender.MALE,
    "男": Gender.MALE,
    "1": Gender.MALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "女": Gender.FEMALE,
    "2": Gender.FEMALE,
    "u": Gender.UNKNOWN,
    "unknown": Gender.UNKNOWN,
    "未知": Gender.UNKNOWN,
    "0": Gender.UNKNOWN,
    "9": Gender.UNKNOWN,
}
RISK_LEVEL_CHOICES = {
    **{level.value.casefold(): level.value for level in RiskLevel},
    "保守型": RiskLevel.C1,
    "稳健型": RiskLevel.C2,
    "平衡型": RiskLevel.C3,
    "成长型": RiskLevel.C4,
    "进取型": RiskLevel.C5,
}
YES, NO = "Y", "N"
BOOLEAN_CHOICES = {
    **dict.fromkeys(("y", "yes", "true", "1", "是"), YES),
    **dict.fromkeys(("n", "no", "false", "0", "否"), NO),
}
PRODUCT_TYPE_CHOICES = {
    **{product_type.value: product_type.value for product_type in ProductType},
    "活期存款": ProductType.DEPOSIT,
    "存款": ProductType.DEPOSIT,
    "定期存款": ProductType.TIME_DEPOSIT,
    "大额存单": ProductType.TIME_DEPOSIT,
    "理财": ProductType.WEALTH,
    "基金": ProductType.FUND,
    "保险": ProductType.INSURANCE,
    "贷款": ProductType.LOAN,
}

CUSTOMER_NO = Column(
    "customer_no",
    ("客户号",),
    ColumnType.CODE,
    _("The core-banking customer number; the key of the upsert. At most 32 letters, digits, '-' or '_'."),
    "C0000012345",
    max_length=32,
)

CUSTOMER_CONTRACT = Contract(
    kind=ImportKind.CUSTOMERS,
    key=("customer_no",),
    columns=(
        CUSTOMER_NO,
        Column(
            "name", ("姓名", "客户姓名"), ColumnType.TEXT, _("Full name, at most 50 characters."), "张三", max_length=50
        ),
        Column(
            "phone",
            ("手机号", "手机号码"),
            ColumnType.PHONE,
            _(
                "Mainland mobile number: 11 digits starting 13–19; spaces, '-' and a +86 prefix are "
                "removed. Empty: no phone."
            ),
            "13800138000",
            blank=True,
        ),
        Column(
            "id_number",
            ("证件号码", "身份证号"),
            ColumnType.ID_NUMBER,
            _(
                "18-character resident ID number (GB 11643) with a correct check character and a real "
                "birth date; 15-digit numbers must be converted first. Empty: no ID number."
            ),
            "110101199003076632",
            blank=True,
        ),
        Column(
            "gender",
            ("性别",),
            ColumnType.CHOICE,
            _(
                "M, F or U (also 男/女/未知 or GB/T 2261 codes 1/2/0/9); must agree with the ID number. "
                "Empty: taken from the ID number, else U."
            ),
            "M",
            blank=True,
            choices=GENDER_CHOICES,
        ),
        Column(
            "birth_date",
            ("出生日期",),
            ColumnType.DATE,
            _("Date of birth, not in the future; must agree with the ID number. Empty: taken from the ID number."),
            "1990-03-07",
            blank=True,
            past_only=True,
        ),
        Column(
            "branch_code",
            ("机构号", "所属机构"),
            ColumnType.REFERENCE,
            _("Code of the branch or outlet the customer belongs to; must exist in scrm."),
            "BJ-HD-1",
            max_length=32,
        ),
        Column(
            "owner_employee_no",
            ("客户经理工号",),
            ColumnType.REFERENCE,
            _(
                "Employee number of the owning relationship manager: an active RM of that same branch. "
                "Empty: unassigned (the outlet's pool)."
            ),
            "E000123",
            blank=True,
            max_length=32,
        ),
        Column(
            "aum",
            ("资产", "金融资产", "AUM余额"),
            ColumnType.DECIMAL,
            _("Assets under management in yuan: not negative, at most 2 decimal places; ',' separators allowed."),
            "150000.00",
        ),
        Column(
            "risk_level",
            ("风险等级",),
            ColumnType.CHOICE,
            _("C1–C5 (also 保守型, 稳健型, 平衡型, 成长型, 进取型). Empty: not assessed."),
            "C3",
            blank=True,
            choices=RISK_LEVEL_CHOICES,
        ),
        Column(
            "marketing_consent",
            ("营销授权",),
            ColumnType.BOOLEAN,
            _(
                "Whether the customer agreed to marketing: Y/N (also yes/no, true/false, 1/0, 是/否). "
                "Empty: no consent."
            ),
            "Y",
            blank=True,
            choices=BOOLEAN_CHOICES,
        ),
        Column(
            "consent_source",
            ("授权渠道",),
            ColumnType.TEXT,
            _("Where consent was given, e.g. counter or mobile_banking; at most 32 characters."),
            "mobile_banking",
            blank=True,
            max_length=32,
        ),
        Column(
            "opened_on",
            ("开户日期",),
            ColumnType.DATE,
            _("The day the customer relationship began, not in the future. Empty: unknown."),
            "2015-06-01",
            blank=True,
            past_only=True,
        ),
        Column(
            "last_contact_at",
            ("最近联系时间",),
            ColumnType.DATETIME,
            _(
                "Last contact, bank local time, not in the future. Optional column: when the header lacks it, "
                "existing values are kept."
            ),
            "2026-05-20 14:30:00",
            required=False,
            blank=True,
            past_only=True,
        ),
    ),
)

HOLDING_CONTRACT = Contract(
    kind=ImportKind.HOLDINGS,
    key=("customer_no", "product_code"),
    columns=(
        Column(
            "customer_no",
            ("客户号",),
            ColumnType.CODE,
            _("Customer number of a customer already in scrm (import customers first)."),
            "C0000012345",
            max_length=32,
        ),
        Column(
            "product_code",
            ("产品代码",),
            ColumnType.CODE,
            _("Product code; with the customer number, the key of the upsert."),
            "TD-1Y",
            max_length=32,
        ),
        Column(
            "product_name",
            ("产品名称",),
            ColumnType.TEXT,
            _("Product name, at most 100 characters."),
            "一年期整存整取",
            max_length=100,
        ),
        Column(
            "product_type",
            ("产品类型",),
            ColumnType.CHOICE,
            _(
                "deposit, time_deposit, wealth, fund, insurance or loan "
                "(also 活期存款/存款, 定期存款/大额存单, 理财, 基金, 保险, 贷款)."
            ),
            "time_deposit",
            choices=PRODUCT_TYPE_CHOICES,
        ),
        Column(
            "amount",
            ("持有金额", "金额"),
            ColumnType.DECIMAL,
            _("Amount held in yuan: not negative, at most 2 decimal places; ',' separators allowed."),
            "50000.00",
        ),
        Column(
            "opened_on",
            ("起息日", "购买日期"),
            ColumnType.DATE,
            _("Value date or purchase date. Empty: unknown."),
            "2026-01-15",
            blank=True,
        ),
        Column(
            "maturity_date",
            ("到期日",),
            ColumnType.DATE,
            _("Maturity date, not before the value date; drives maturity reminders. Empty: no maturity."),
            "2027-01-15",
            blank=True,
        ),
    ),
)

CONTRACTS: dict[str, Contract] = {
    ImportKind.CUSTOMERS: CUSTOMER_CONTRACT,
    ImportKind.HOLDINGS: HOLDING_CONTRACT,
}

# Which columns hold personal information: the error report shows them masked.
PII_COLUMNS = frozenset({"name", "phone", "id_number"})
