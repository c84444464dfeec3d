"""Row validation of core-banking extracts: pure, column-wise, one chunk at a time.

A chunk arrives as a DataFrame of strings ("" for an empty cell) named by the
contract's columns, with the row number each row has in the file. Every check runs
over a whole column at once; the result is the normalised values of every row, a
``valid`` flag per row, and one error per bad cell — the first problem found in
that cell, so that fixing what the report says is enough.

Nothing here touches the database: what validation needs to know about the bank
(branch codes, staff) arrives as a :class:`Reference`. Checks that need the whole
file or the customer table — a key repeated in the file, a holding of an unknown
customer — are set-based SQL over the staged rows (``customers.imports.staging``).
Error values of personal columns are masked here, so raw PII never reaches a report.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _

from customers.identity import CHECK_CHARACTERS, CHECK_WEIGHTS
from customers.imports.contract import (
    CUSTOMER_CONTRACT,
    HOLDING_CONTRACT,
    PII_COLUMNS,
    YES,
    Column,
    ColumnType,
    Contract,
)
from customers.models import Gender, ImportKind
from scrm.pii import MAINLAND_MOBILE, PiiKind, mask

Mask = npt.NDArray[np.bool_]
Rows = npt.NDArray[np.int64]
ERROR_COLUMNS = ("row", "column", "value", "reason")

_CODE = r"[0-9A-Za-z_-]+"
_PHONE_SEPARATORS = r"[\s\-]"
_PHONE_COUNTRY_PREFIX = r"^(?:\+86|0086|86)(?=1\d{10}$)"
_ID_SHAPE = r"\d{17}[\dX]"
_OLD_ID_SHAPE = r"\d{15}"
# 2026-05-20, 2026/5/20, 2026.5.20 or 20260520
_DATE = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$"
# a date as above with separators, optionally followed by a time: 2026-05-20 14:30[:00]
_DATETIME = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_PLAIN_AMOUNT = r"\d{1,16}(?:\.\d{1,2})?"
MAX_AMOUNT_DIGITS = 16  # numeric(18, 2)
EARLIEST_DATE = pd.Timestamp("1900-01-01")
_PII_KINDS = {"name": PiiKind.NAME, "phone": PiiKind.PHONE, "id_number": PiiKind.ID_NUMBER}


@dataclass(frozen=True)
class StaffRecord:
    """What validation needs to know about one employee number."""

    staff_id: int
    branch_id: int
    branch_code: str
    is_rm: bool
    is_active: bool


@dataclass(frozen=True)
class Reference:
    """The bank as validation sees it, and the clock (so that tests can fix it)."""

    now: datetime.datetime  # aware: "today" and "the future" are read in its time zone
    branch_ids: Mapping[str, int] = field(default_factory=dict)  # branch code → id
    staff: Mapping[str, StaffRecord] = field(default_factory=dict)  # employee number → record

    @property
    def today(self) -> pd.Timestamp:
        return pd.Timestamp(self.now.date())

    @cached_property
    def staff_frame(self) -> pd.DataFrame:
        """The staff records as columns indexed by employee number, for whole-column lookups."""
        records = list(self.staff.values())
        return pd.DataFrame(
            {
                "staff_id": [record.staff_id for record in records],
                "branch_id": [record.branch_id for record in records],
                "branch_code": [record.branch_code for record in records],
                "is_rm": [record.is_rm for record in records],
                "is_active": [record.is_active for record in records],
            },
            index=pd.Index(list(self.staff), dtype=object),
        )


@dataclass(frozen=True)
class CheckedChunk:
    """The outcome of validating one chunk.

    ``values``: ``row`` and ``valid``, then each normalised column — None where empty,
    dates as ISO text, amounts as exact decimal text. ``errors``: one line per bad
    cell in file order — row, column (the contract's name), value (masked for
    personal columns) and reason.
    """

    values: pd.DataFrame
    errors: pd.DataFrame


def cells_tidy(frame: pd.DataFrame) -> tuple[pd.DataFrame, Mask]:
    """Trim every cell, and say which rows are entirely empty (skipped, as a spreadsheet user expects)."""
    tidy = frame.apply(lambda column: column.str.strip())
    return tidy, (tidy == "").all(axis=1).to_numpy()


class _Findings:
    """The errors found in one chunk, at most one per cell."""

    def __init__(self, frame: pd.DataFrame, rows: Rows) -> None:
        self._frame = frame
        self._rows = rows
        self._failed: dict[str, Mask] = {}
        self._found: list[pd.DataFrame] = []

    def ok(self, column: str) -> Mask:
        failed = self._failed.get(column)
        return np.ones(len(self._rows), dtype=bool) if failed is None else ~failed

    def reject(self, column: str, bad: Mask | pd.Series, reason: str | Callable[[Mask], list[str]]) -> None:
        """Report ``reason`` for each cell of ``column`` where ``bad`` holds and nothing was reported yet.

        ``reason`` is one message, or a function from the bad cells (a mask) to a message each.
        """
        bad = np.asarray(bad, dtype=bool) & self.ok(column)
        if not bad.any():
            return
        self._failed[column] = ~self.ok(column) | bad
        values = self._frame[column].to_numpy(dtype=object)[bad]
        if column in PII_COLUMNS:
            values = np.array([mask(value, kind=_PII_KINDS[column]) for value in values], dtype=object)
        reasons = reason if isinstance(reason, str) else reason(bad)
        self._found.append(pd.DataFrame({"row": self._rows[bad], "column": column, "value": values, "reason": reasons}))

    @property
    def valid(self) -> Mask:
        valid = np.ones(len(self._rows), dtype=bool)
        for failed in self._failed.values():
            valid &= ~failed
        return valid

    def errors(self, contract: Contract) -> pd.DataFrame:
        if not self._found:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in ERROR_COLUMNS})
        errors = pd.concat(self._found, ignore_index=True)
        order = errors["column"].map(contract.position)
        return errors.assign(_order=order).sort_values(["row", "_order"], kind="stable").drop(columns="_order")


# --- Column types ------------------------------------------------------------------------
# Each check reports bad cells and returns the column normalised: text with None for
# empty, dates as datetime64 (NaT for empty), choices as their stored value. Where a
# column has a usual spelling, one vectorised test accepts the well-formed cells and
# only the rest are looked at closely: most rows of a real extract pay for one test.


def _scatter(where: Mask, subset: pd.Series | npt.NDArray[np.bool_]) -> Mask:
    """A whole-column mask from a mask over the cells selected by ``where``."""
    full = np.zeros(len(where), dtype=bool)
    full[where] = np.asarray(subset, dtype=bool)
    return full


def _check_text(column: Column, values: pd.Series, empty: Mask, findings: _Findings) -> pd.Series:
    if column.max_length is not None:
        findings.reject(
            column.name,
            values.str.len() > column.max_length,
            _("Too long: at most %(count)s characters.") % {"count": column.max_length},
        )
    if column.type == ColumnType.CODE:
        findings.reject(
            column.name, ~empty & ~values.str.fullmatch(_CODE), _("Only letters, digits, '-' and '_' are allowed.")
        )
    return values.astype(object).where(~empty, None)


def _check_phone(column: Column, values: pd.Series, empty: Mask, findings: _Findings) -> pd.Series:
    phones = values.astype(object)
    unusual = ~empty & ~values.str.fullmatch(MAINLAND_MOBILE.pattern).to_numpy()
    if unusual.any():
        cleaned = (
            values[unusual]
            .str.replace(_PHONE_SEPARATORS, "", regex=True)
            .str.replace(_PHONE_COUNTRY_PREFIX, "", regex=True)
        )
        phones[unusual] = cleaned.astype(object)
        findings.reject(
            column.name,
            _scatter(unusual, ~cleaned.str.fullmatch(MAINLAND_MOBILE.pattern)),
            _("Not a mobile number: expected 11 digits starting with 13 to 19."),
        )
    return phones.where(~empty, None)


@dataclass(frozen=True)
class IdNumberFacts:
    """What well-formed 18-character ID numbers say, decoded column-wise."""

    birth_dates: pd.Series  # NaT where the birth part is no date
    male: Mask  # the sequence code is odd
    check_ok: Mask  # the check character completes the first 17 digits


def id_number_facts(numbers: pd.Series) -> IdNumberFacts:
    """Decode well-formed ID numbers (17 digits, then a digit or X); customers.identity is the scalar spec."""
    if numbers.empty:
        return IdNumberFacts(
            birth_dates=pd.Series([], dtype="datetime64[ns]"), male=np.array([], bool), check_ok=np.array([], bool)
        )
    chars = np.frombuffer("".join(numbers.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = chars[:, :17].astype(np.int64) - ord("0")
    expected = np.frombuffer(CHECK_CHARACTERS.encode("ascii"), dtype=np.uint8)[digits @ np.array(CHECK_WEIGHTS) % 11]
    birth = digits[:, 6:14] @ (10 ** np.arange(7, -1, -1))
    birth_dates = pd.to_datetime(
        pd.DataFrame({"year": birth // 10_000, "month": birth // 100 % 100, "day": birth % 100}), errors="coerce"
    )
    return IdNumberFacts(
        birth_dates=birth_dates.set_axis(numbers.index), male=digits[:, 16] % 2 == 1, check_ok=expected == chars[:, 17]
    )


def _check_id_number(
    column: Column, values: pd.Series, empty: Mask, findings: _Findings, reference: Reference
) -> pd.Series:
    name = column.name
    numbers = values.str.upper()
    shaped = numbers.str.fullmatch(_ID_SHAPE).to_numpy()
    misshapen = ~empty & ~shaped
    if misshapen.any():
        findings.reject(
            name,
            _scatter(misshapen, numbers[misshapen].str.fullmatch(_OLD_ID_SHAPE)),
            _("15-digit ID numbers are not accepted: convert it to the 18-character number."),
        )
        findings.reject(name, misshapen, _("Not an ID number: expected 17 digits then a digit or X."))
    if shaped.any():
        facts = id_number_facts(numbers[shaped])
        findings.reject(
            name, _scatter(shaped, facts.birth_dates.isna()), _("The birth date inside the ID number is not a date.")
        )
        findings.reject(
            name,
            _scatter(shaped, facts.birth_dates > reference.today),
            _("The birth date inside the ID number is in the future."),
        )
        findings.reject(
            name,
            _scatter(shaped, ~facts.check_ok),
            _("The check character is wrong (GB 11643): the number is mistyped."),
        )
    return numbers.astype(object).where(~empty, None)


def _check_choice(column: Column, values: pd.Series, empty: Mask, findings: _Findings) -> pd.Series:
    chosen = values.map(column.lookup).astype(object)
    unusual = ~empty & chosen.isna().to_numpy()
    if unusual.any():
        chosen[unusual] = values[unusual].str.casefold().map(column.choices).astype(object)
    if column.type == ColumnType.BOOLEAN:
        message = _("Not a yes/no value: use Y or N (是/否).")
    else:
        accepted = ", ".join(dict.fromkeys(str(value) for value in column.choices.values()))
        message = _("Not an accepted value: use one of %(choices)s.") % {"choices": accepted}
    findings.reject(column.name, ~empty & chosen.isna().to_numpy(), message)
    return chosen.where(chosen.notna(), None)


def _check_decimal(column: Column, values: pd.Series, empty: Mask, findings: _Findings) -> pd.Series:
    amounts = values.astype(object)
    unusual = ~empty & ~values.str.fullmatch(_PLAIN_AMOUNT).to_numpy()
    if unusual.any():
        odd = values[unusual]
        name = column.name
        findings.reject(name, _scatter(unusual, odd.str.startswith("-")), _("Must not be negative."))
        findings.reject(
            name,
            _scatter(unusual, ~odd.str.fullmatch(_AMOUNT)),
            _("Not an amount: use digits with at most 2 decimal places, e.g. 150000.00."),
        )
        plain = odd.str.replace(",", "", regex=False)
        whole, _dot, fraction = (plain.str.partition(".")[part] for part in range(3))
        findings.reject(name, _scatter(unusual, fraction.str.len() > 2), _("At most 2 decimal places."))
        findings.reject(
            name,
            _scatter(unusual, whole.str.lstrip("0").str.len() > MAX_AMOUNT_DIGITS),
            _("Too large: at most %(count)s digits before the decimal point.") % {"count": MAX_AMOUNT_DIGITS},
        )
        amounts[unusual] = plain.astype(object)
    return amounts.where(~empty, None)


def _dates_spelt_otherwise(values: pd.Series) -> pd.Series:
    parts = values.str.extract(_DATE)
    year, month, day = (parts[i].fillna(parts[i + 3]) for i in range(3))
    return pd.to_datetime(year + month.str.zfill(2) + day.str.zfill(2), format="%Y%m%d", errors="coerce")


def _check_date(column: Column, values: pd.Series, empty: Mask, findings: _Findings, reference: Reference) -> pd.Series:
    dates = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    unusual = ~empty & dates.isna().to_numpy()
    if unusual.any():
        dates[unusual] = _dates_spelt_otherwise(values[unusual])
        findings.reject(
            column.name,
            ~empty & dates.isna().to_numpy(),
            _("Not a date: use YYYY-MM-DD (YYYYMMDD and YYYY/MM/DD are accepted too)."),
        )
    findings.reject(column.name, dates < EARLIEST_DATE, _("Dates before 1900 are not accepted."))
    if column.past_only:
        findings.reject(column.name, dates > reference.today, _("Must not be in the future."))
    return dates


def _moments_spelt_otherwise(values: pd.Series) -> pd.Series:
    parts = values.str.extract(_DATETIME)
    date = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2)
    time = parts[3].fillna("0").str.zfill(2) + ":" + parts[4].fillna("00") + ":" + parts[5].fillna("00")
    return pd.to_datetime(date + " " + time, format="%Y-%m-%d %H:%M:%S", errors="coerce")


def _check_datetime(
    column: Column, values: pd.Series, empty: Mask, findings: _Findings, reference: Reference
) -> pd.Series:
    local = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    unusual = ~empty & local.isna().to_numpy()
    if unusual.any():
        local[unusual] = _moments_spelt_otherwise(values[unusual])
    moments = local.dt.tz_localize(reference.now.tzinfo, ambiguous="NaT", nonexistent="NaT")
    findings.reject(
        column.name,
        ~empty & moments.isna().to_numpy(),
        _("Not a date and time: use YYYY-MM-DD HH:MM:SS (bank local time)."),
    )
    findings.reject(column.name, local < EARLIEST_DATE, _("Dates before 1900 are not accepted."))
    if column.past_only:
        findings.reject(column.name, moments > pd.Timestamp(reference.now), _("Must not be in the future."))
    return moments


def _check_column(column: Column, values: pd.Series, findings: _Findings, reference: Reference) -> pd.Series:
    empty = (values == "").to_numpy()
    if not column.blank:
        findings.reject(column.name, empty, _("Required: the cell is empty."))
    match column.type:
        case ColumnType.CODE | ColumnType.TEXT | ColumnType.REFERENCE:
            return _check_text(column, values, empty, findings)
        case ColumnType.PHONE:
            return _check_phone(column, values, empty, findings)
        case ColumnType.ID_NUMBER:
            return _check_id_number(column, values, empty, findings, reference)
        case ColumnType.CHOICE | ColumnType.BOOLEAN:
            return _check_choice(column, values, empty, findings)
        case ColumnType.DECIMAL:
            return _check_decimal(column, values, empty, findings)
        case ColumnType.DATE:
            return _check_date(column, values, empty, findings, reference)
        case ColumnType.DATETIME:
            return _check_datetime(column, values, empty, findings, reference)


def _check_columns(
    contract: Contract, frame: pd.DataFrame, findings: _Findings, reference: Reference
) -> dict[str, pd.Series]:
    return {
        column.name: _check_column(column, frame[column.name], findings, reference)
        for column in contract.columns
        if column.name in frame.columns
    }


def _sql_text(values: pd.Series) -> npt.NDArray[np.object_]:
    """A column as COPY takes it: None for missing, dates and moments as ISO 8601 text."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
        text = np.datetime_as_string(utc, timezone="UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        text = values.to_numpy(dtype="datetime64[D]").astype(str)
    else:
        return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
    result: npt.NDArray[np.object_] = text.astype(object)
    result[values.isna().to_numpy()] = None
    return result


def _checked(contract: Contract, findings: _Findings, rows: Rows, values: dict[str, pd.Series]) -> CheckedChunk:
    columns = {name: pd.Series(_sql_text(column), dtype=object) for name, column in values.items()}
    frame = pd.DataFrame({"row": rows, "valid": findings.valid, **columns})
    return CheckedChunk(values=frame, errors=findings.errors(contract))


# --- Customers -------------------------------------------------------------------------------


def customers_check(frame: pd.DataFrame, *, rows: Rows, reference: Reference) -> CheckedChunk:
    """Validate and normalise one chunk of a customer extract.

    ``frame`` holds tidy cells (:func:`cells_tidy`) of the contract's columns that the
    file has (``last_contact_at`` may be absent); ``rows`` the file row of each row.
    """
    frame = frame.reset_index(drop=True)
    findings = _Findings(frame, rows)
    values = _check_columns(CUSTOMER_CONTRACT, frame, findings, reference)
    _check_identity(values, findings)
    branch_ids = _check_branch(values["branch_code"], findings, reference)
    owner_ids = _check_owner(values["owner_employee_no"], branch_ids, findings, reference)
    normalised = {name: values[name] for name in ("customer_no", "name", "phone", "id_number", "gender", "birth_date")}
    normalised |= {
        "branch_id": branch_ids,
        "owner_id": owner_ids,
        "aum": values["aum"],
        "risk_level": values["risk_level"].fillna(""),
        "marketing_consent": values["marketing_consent"] == YES,
        "consent_source": values["consent_source"].fillna(""),
        "opened_on": values["opened_on"],
    }
    if "last_contact_at" in values:
        normalised["last_contact_at"] = values["last_contact_at"]
    return _checked(CUSTOMER_CONTRACT, findings, rows, normalised)


def _check_identity(values: dict[str, pd.Series], findings: _Findings) -> None:
    """Gender and birth date agree with the ID number; an empty one is taken from it."""
    numbers = values["id_number"]
    usable = findings.ok("id_number") & numbers.notna().to_numpy()
    facts = id_number_facts(numbers[usable].astype(str))
    id_birth = pd.Series(pd.NaT, index=numbers.index, dtype="datetime64[ns]")
    id_birth[usable] = facts.birth_dates
    id_gender = pd.Series(None, index=numbers.index, dtype=object)
    id_gender[usable] = np.where(facts.male, Gender.MALE.value, Gender.FEMALE.value)

    birth_dates = values["birth_date"]
    findings.reject(
        "birth_date",
        usable & birth_dates.notna().to_numpy() & (birth_dates != id_birth).to_numpy(),
        _("Does not match the birth date inside the ID number."),
    )
    genders = values["gender"]
    findings.reject(
        "gender",
        usable & genders.isin([Gender.MALE, Gender.FEMALE]).to_numpy() & (genders != id_gender).to_numpy(),
        _("Does not match the ID number (its 17th digit is odd for men, even for women)."),
    )
    values["birth_date"] = birth_dates.fillna(id_birth)
    values["gender"] = genders.fillna(id_gender).fillna(Gender.UNKNOWN.value)


def _check_branch(codes: pd.Series, findings: _Findings, reference: Reference) -> pd.Series:
    branch_ids = codes.map(reference.branch_ids)
    findings.reject("branch_code", codes.notna() & branch_ids.isna(), _("Unknown branch code."))
    return branch_ids.astype("Int64")


def _check_owner(numbers: pd.Series, branch_ids: pd.Series, findings: _Findings, reference: Reference) -> pd.Series:
    column = "owner_employee_no"
    records = reference.staff_frame.reindex(numbers.fillna("").to_numpy())
    known = records["staff_id"].notna().to_numpy()
    findings.reject(column, numbers.notna().to_numpy() & ~known, _("No staff member has this employee number."))
    findings.reject(column, known & ~records["is_rm"].eq(True).to_numpy(), _("Not a relationship manager."))
    findings.reject(
        column,
        known & ~records["is_active"].eq(True).to_numpy(),
        _("This relationship manager has left the bank."),
    )
    owner_branch = records["branch_id"].to_numpy(dtype=float)
    row_branch = branch_ids.to_numpy(dtype=float, na_value=np.nan)
    elsewhere = known & ~np.isnan(row_branch) & (owner_branch != row_branch)
    branch_codes = records["branch_code"].to_numpy(dtype=object)

    def works_elsewhere(bad: Mask) -> list[str]:
        message = _("Works at branch %(code)s, not at this row's branch.")
        return [message % {"code": code} for code in branch_codes[bad]]

    findings.reject(column, elsewhere, works_elsewhere)
    return pd.Series(records["staff_id"].to_numpy(), dtype="Int64")


# --- Holdings ------------------------------------------------------------------------------


def holdings_check(frame: pd.DataFrame, *, rows: Rows, reference: Reference) -> CheckedChunk:
    """Validate and normalise one chunk of a holdings extract (their customers are checked in SQL)."""
    frame = frame.reset_index(drop=True)
    findings = _Findings(frame, rows)
    values = _check_columns(HOLDING_CONTRACT, frame, findings, reference)
    findings.reject(
        "maturity_date", values["maturity_date"] < values["opened_on"], _("Before the value date (opened_on).")
    )
    return _checked(HOLDING_CONTRACT, findings, rows, values)


CHECKS: dict[str, Callable[..., CheckedChunk]] = {
    ImportKind.CUSTOMERS: customers_check,
    ImportKind.HOLDINGS: holdings_check,
}
