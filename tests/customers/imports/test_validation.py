"""Row validation is pure: each class of bad cell gets its row number and a clear reason."""

import datetime
import random
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from customers.identity import id_number_check_digit, id_number_is_male, is_valid_id_number
from customers.imports.validation import (
    CheckedChunk,
    Reference,
    StaffRecord,
    cells_tidy,
    customers_check,
    holdings_check,
    id_number_facts,
)
from tests.customers.imports.extracts import CUSTOMER_HEADER, HOLDING_HEADER, customer_row, holding_row, id_number

NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REFERENCE = Reference(
    now=NOW,
    branch_ids={"BJ-HD-1": 3, "BJ-HD-2": 4},
    staff={
        "E1": StaffRecord(staff_id=11, branch_id=3, branch_code="BJ-HD-1", is_rm=True, is_active=True),
        "E2": StaffRecord(staff_id=12, branch_id=3, branch_code="BJ-HD-1", is_rm=False, is_active=True),
        "E3": StaffRecord(staff_id=13, branch_id=3, branch_code="BJ-HD-1", is_rm=True, is_active=False),
        "E4": StaffRecord(staff_id=14, branch_id=4, branch_code="BJ-HD-2", is_rm=True, is_active=True),
    },
)
MAN_1990 = id_number(datetime.date(1990, 3, 7), male=True)


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def check_customers(*rows: dict[str, str], first_row: int = 2) -> CheckedChunk:
    frame = pd.DataFrame([[row.get(column, "") for column in CUSTOMER_HEADER] for row in rows], columns=CUSTOMER_HEADER)
    cells, _blank = cells_tidy(frame.astype("str"))
    return customers_check(cells, rows=np.arange(first_row, first_row + len(rows)), reference=REFERENCE)


def check_holdings(*rows: dict[str, str]) -> CheckedChunk:
    frame = pd.DataFrame([[row.get(column, "") for column in HOLDING_HEADER] for row in rows], columns=HOLDING_HEADER)
    cells, _blank = cells_tidy(frame.astype("str"))
    return holdings_check(cells, rows=np.arange(2, 2 + len(rows)), reference=REFERENCE)


def errors_of(checked: CheckedChunk) -> list[tuple[int, str, str, str]]:
    return [tuple(error) for error in checked.errors[["row", "column", "value", "reason"]].itertuples(index=False)]


def a_customer(**overrides: str) -> dict[str, str]:
    return customer_row(1, owner="E1", id_number=MAN_1990, gender="M", birth_date="1990-03-07") | overrides


# --- Good rows ---------------------------------------------------------------------------


def test_a_good_row_is_valid_and_normalised() -> None:
    checked = check_customers(a_customer(aum="150000.00"))

    assert errors_of(checked) == []
    row = checked.values.iloc[0].to_dict()
    assert row == {
        "row": 2,
        "valid": True,
        "customer_no": "K00000001",
        "name": "客户1",
        "phone": "13900000001",
        "id_number": MAN_1990,
        "gender": "M",
        "birth_date": "1990-03-07",
        "branch_id": 3,
        "owner_id": 11,
        "aum": "150000.00",
        "risk_level": "C3",
        "marketing_consent": True,
        "consent_source": "counter",
        "opened_on": "2015-06-01",
    }


def test_other_usual_spellings_are_accepted() -> None:
    woman = id_number(datetime.date(1985, 12, 1), male=False)
    with_x = next(
        body + "X" for serial in range(100) if id_number_check_digit(body := f"11010119851201{serial:02d}2") == "X"
    )
    checked = check_customers(
        a_customer(
            phone=" +86 138-0013-8000 ",
            id_number=woman.lower(),
            gender="女",
            birth_date="19851201",
            aum="1,234,567.5",
            risk_level="稳健型",
            marketing_consent="是",
            opened_on="2015/6/1",
            owner_employee_no="",
        ),
        a_customer(customer_no="K2", id_number=with_x.lower(), gender="", birth_date="", risk_level="c5"),
    )

    assert errors_of(checked) == []
    first, second = checked.values.to_dict("records")
    assert (first["phone"], first["gender"], first["birth_date"]) == ("13800138000", "F", "1985-12-01")
    assert (first["aum"], first["risk_level"], first["marketing_consent"]) == ("1234567.5", "C2", True)
    assert (first["opened_on"], first["owner_id"]) == ("2015-06-01", None)
    # An empty gender and birth date are read from the ID number.
    assert (second["id_number"], second["gender"], second["birth_date"]) == (with_x, "F", "1985-12-01")
    assert second["risk_level"] == "C5"


def test_empty_optional_cells_mean_unknown() -> None:
    checked = check_customers(
        a_customer(phone="", id_number="", gender="", birth_date="", risk_level="", marketing_consent="", opened_on="")
    )

    assert errors_of(checked) == []
    row = checked.values.iloc[0]
    assert (row["phone"], row["id_number"], row["birth_date"], row["opened_on"]) == (None, None, None, None)
    assert (row["gender"], row["risk_level"], row["marketing_consent"]) == ("U", "", False)


def test_last_contact_is_read_in_bank_local_time() -> None:
    frame = pd.DataFrame([{**a_customer(), "last_contact_at": "2026-05-20 14:30"}]).astype("str")
    cells, _blank = cells_tidy(frame)

    checked = customers_check(cells, rows=np.array([2]), reference=REFERENCE)

    assert checked.values.iloc[0]["last_contact_at"] == "2026-05-20T06:30:00Z"


# --- Each class of bad cell -------------------------------------------------------------------

FUTURE_BORN = f"11010120300101001{id_number_check_digit('11010120300101001')}"
NOT_A_DAY = f"11010119901332001{id_number_check_digit('11010119901332001')}"
WRONG_CHECK = MAN_1990[:17] + ("0" if MAN_1990[17] != "0" else "1")


@pytest.mark.parametrize(
    ("column", "value", "shown", "reason"),
    [
        ("customer_no", "", "", "Required: the cell is empty."),
        ("customer_no", "C 1", "C 1", "Only letters, digits, '-' and '_' are allowed."),
        ("customer_no", "C" * 33, "C" * 33, "Too long: at most 32 characters."),
        ("name", "", "", "Required: the cell is empty."),
        ("name", "张" * 51, "张张" + "*" * 49, "Too long: at most 50 characters."),
        ("phone", "12812345678", "128****5678", "Not a mobile number: expected 11 digits starting with 13 to 19."),
        ("phone", "1381234567", "******4567", "Not a mobile number: expected 11 digits starting with 13 to 19."),
        (
            "id_number",
            "110101900307663",
            "110101*****7663",
            "15-digit ID numbers are not accepted: convert it to the 18-character number.",
        ),
        (
            "id_number",
            MAN_1990[:17],
            "110101*******7121",
            "Not an ID number: expected 17 digits then a digit or X.",
        ),
        (
            "id_number",
            WRONG_CHECK,
            f"110101********{WRONG_CHECK[-4:]}",
            "The check character is wrong (GB 11643): the number is mistyped.",
        ),
        (
            "id_number",
            NOT_A_DAY,
            f"110101********{NOT_A_DAY[-4:]}",
            "The birth date inside the ID number is not a date.",
        ),
        (
            "id_number",
            FUTURE_BORN,
            f"110101********{FUTURE_BORN[-4:]}",
            "The birth date inside the ID number is in the future.",
        ),
        ("gender", "X", "X", "Not an accepted value: use one of M, F, U."),
        ("gender", "F", "F", "Does not match the ID number (its 17th digit is odd for men, even for women)."),
        (
            "birth_date",
            "1990-02-30",
            "1990-02-30",
            "Not a date: use YYYY-MM-DD (YYYYMMDD and YYYY/MM/DD are accepted too).",
        ),
        ("birth_date", "1990-03-08", "1990-03-08", "Does not match the birth date inside the ID number."),
        ("branch_code", "", "", "Required: the cell is empty."),
        ("branch_code", "NOPE", "NOPE", "Unknown branch code."),
        ("owner_employee_no", "E999", "E999", "No staff member has this employee number."),
        ("owner_employee_no", "E2", "E2", "Not a relationship manager."),
        ("owner_employee_no", "E3", "E3", "This relationship manager has left the bank."),
        ("owner_employee_no", "E4", "E4", "Works at branch BJ-HD-2, not at this row's branch."),
        ("aum", "", "", "Required: the cell is empty."),
        ("aum", "-5.00", "-5.00", "Must not be negative."),
        ("aum", "12,34.5", "12,34.5", "Not an amount: use digits with at most 2 decimal places, e.g. 150000.00."),
        ("aum", "1.234", "1.234", "At most 2 decimal places."),
        ("aum", "1" * 17, "1" * 17, "Too large: at most 16 digits before the decimal point."),
        ("risk_level", "C9", "C9", "Not an accepted value: use one of C1, C2, C3, C4, C5."),
        ("marketing_consent", "maybe", "maybe", "Not a yes/no value: use Y or N (是/否)."),
        ("consent_source", "x" * 33, "x" * 33, "Too long: at most 32 characters."),
        (
            "opened_on",
            "2026/13/01",
            "2026/13/01",
            "Not a date: use YYYY-MM-DD (YYYYMMDD and YYYY/MM/DD are accepted too).",
        ),
        ("opened_on", "1899-12-31", "1899-12-31", "Dates before 1900 are not accepted."),
        ("opened_on", "2026-06-16", "2026-06-16", "Must not be in the future."),
    ],
)
def test_each_class_of_bad_cell_is_reported_with_row_column_and_reason(
    column: str, value: str, shown: str, reason: str
) -> None:
    checked = check_customers(a_customer(), a_customer(**{"customer_no": "K2", column: value}), first_row=7)

    assert errors_of(checked) == [(8, column, shown, reason)]
    assert checked.values["valid"].tolist() == [True, False]


def test_a_birth_date_in_the_future_without_an_id_number() -> None:
    checked = check_customers(a_customer(id_number="", birth_date="2026-06-16"))

    assert errors_of(checked) == [(2, "birth_date", "2026-06-16", "Must not be in the future.")]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-06-15 10:00:01", "Must not be in the future."),
        ("yesterday", "Not a date and time: use YYYY-MM-DD HH:MM:SS (bank local time)."),
    ],
)
def test_bad_last_contact_times(value: str, reason: str) -> None:
    frame = pd.DataFrame([{**a_customer(), "last_contact_at": value}]).astype("str")
    cells, _blank = cells_tidy(frame)

    checked = customers_check(cells, rows=np.array([2]), reference=REFERENCE)

    assert errors_of(checked) == [(2, "last_contact_at", value, reason)]


def test_every_bad_cell_of_a_row_is_reported_in_column_order() -> None:
    checked = check_customers(a_customer(aum="lots", phone="123", name=""))

    assert [(row, column) for row, column, _value, _reason in errors_of(checked)] == [
        (2, "name"),
        (2, "phone"),
        (2, "aum"),
    ]


def test_personal_values_are_masked_in_errors() -> None:
    checked = check_customers(
        a_customer(name="欧阳" + "娜" * 49, phone="12800138000", id_number="110101199003076630"),
    )

    values = {column: value for _row, column, value, _reason in errors_of(checked)}
    assert values == {"name": "欧阳" + "*" * 49, "phone": "128****8000", "id_number": "110101********6630"}


# --- Holdings ----------------------------------------------------------------------------


def test_a_good_holding_row() -> None:
    checked = check_holdings(holding_row("K1", product_type="定期存款", amount="50,000", maturity_date="20270115"))

    assert errors_of(checked) == []
    assert checked.values.iloc[0].to_dict() == {
        "row": 2,
        "valid": True,
        "customer_no": "K1",
        "product_code": "TD-1Y",
        "product_name": "一年期整存整取",
        "product_type": "time_deposit",
        "amount": "50000",
        "opened_on": "2026-01-15",
        "maturity_date": "2027-01-15",
    }


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("product_code", "", "Required: the cell is empty."),
        ("product_name", "产" * 101, "Too long: at most 100 characters."),
        (
            "product_type",
            "stock",
            "Not an accepted value: use one of deposit, time_deposit, wealth, fund, insurance, loan.",
        ),
        ("amount", "1e5", "Not an amount: use digits with at most 2 decimal places, e.g. 150000.00."),
        ("maturity_date", "2026-01-14", "Before the value date (opened_on)."),
    ],
)
def test_bad_holding_cells(column: str, value: str, reason: str) -> None:
    checked = check_holdings(holding_row("K1", **{column: value}))

    assert errors_of(checked) == [(2, column, value, reason)]


# --- The vectorised ID check agrees with the scalar specification --------------------------


def test_vectorised_id_number_facts_agree_with_customers_identity() -> None:
    rng = random.Random(11643)
    numbers = []
    for _ in range(2000):
        body = f"{rng.randrange(110000, 660000)}{rng.randrange(1900, 2030)}{rng.randrange(1, 13):02d}"
        body += f"{rng.randrange(1, 32):02d}{rng.randrange(1000):03d}"
        numbers.append(body + rng.choice("0123456789X"))

    facts = id_number_facts(pd.Series(numbers))

    for number, born, male, check_ok in zip(numbers, facts.birth_dates, facts.male, facts.check_ok, strict=True):
        assert check_ok == (id_number_check_digit(number[:17]) == number[17])
        assert male == id_number_is_male(number)
        valid = check_ok and not pd.isna(born) and born.date() <= datetime.date.today()
        assert valid == is_valid_id_number(number), number
