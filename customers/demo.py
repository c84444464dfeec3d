"""Demo customers and their holdings, drawn column-wise with numpy and loaded with COPY.

A million customers take well under two minutes on two cores: every attribute is
drawn for a whole chunk at once, only sealing the PII is per value, and rows reach
PostgreSQL through ``COPY … FROM STDIN`` rather than the ORM.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import psycopg
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg import sql

from customers.identity import CHECK_CHARACTERS, CHECK_WEIGHTS
from customers.models import Customer, Gender, LifecycleStage, ProductHolding, ProductType, RiskLevel
from scrm.core.exceptions import ApplicationError
from scrm.org.demo import DEMO_RM_USERNAME, names_draw
from scrm.org.models import Branch, BranchLevel, Role, Staff, StaffStatus
from scrm.pii import PiiKind, blind_index_many, seal_many, surname_index_many

CHUNK_SIZE = 100_000
UNASSIGNED_SHARE = 0.05  # the outlet's pool: customers no RM owns yet
DEMO_RM_SHARE = 0.03  # given to the ``rm`` demo login, so it has a full book to show
MIN_AGE, MAX_AGE = 18, 85
OLDEST_RELATIONSHIP_YEARS = 20
AUM_MEDIAN_AT_18 = 20_000  # yuan
AUM_GROWTH_PER_YEAR = 0.03  # of the median, compounded per year of age
AUM_SIGMA = 1.4
AUM_CAP_CENTS = 50_000_000 * 100
CHURNED_AUM_LEFT = 0.02
RECENTLY_CONTACTED_SHARE = 0.7  # of owned customers
RECENT_CONTACT = np.timedelta64(120, "D")
MARKETING_CONSENT_SHARE = 0.65
CONSENT_SOURCES = ("counter", "mobile_banking", "wecom")

Int64s = npt.NDArray[np.int64]
Days = npt.NDArray[np.datetime64]

# Mobile prefixes in use on the three carriers' and China Broadnet's networks.
PHONE_PREFIXES: tuple[int, ...] = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 149, 150, 151, 152, 153, 155, 156, 157,
    158, 159, 166, 172, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190,
    191, 192, 193, 195, 196, 197, 198, 199,
)  # fmt: skip
# A phone is an affine permutation of the customer serial over all (prefix, 8 digits)
# pairs: unique across runs and chunks without remembering what was drawn before.
_PHONE_SPACE = len(PHONE_PREFIXES) * 10**8
_PHONE_MULTIPLIER = 2_654_435_761  # Knuth's multiplicative-hash prime
_PHONE_SHIFT = 1_234_567_891
assert math.gcd(_PHONE_MULTIPLIER, _PHONE_SPACE) == 1

RISK_LEVELS = (*RiskLevel.values, "")  # "" is a customer never assessed
RISK_LEVEL_P = (0.12, 0.33, 0.30, 0.15, 0.05, 0.05)
# Stages for customers of more than a year; newer ones are all "new".
SETTLED_STAGES = tuple(stage.value for stage in LifecycleStage if stage != LifecycleStage.NEW)
SETTLED_STAGE_P = (0.30, 0.45, 0.18, 0.07)
HOLDINGS_PER_CUSTOMER_P = (0.20, 0.40, 0.28, 0.12)  # 0, 1, 2 or 3 products
MAX_HOLDINGS = len(HOLDINGS_PER_CUSTOMER_P) - 1
MIN_HOLDING_CENTS = 100
MATURITY_HORIZON_DAYS = 180


class DemoProduct(NamedTuple):
    code: str
    name: str
    type: ProductType
    term_days: int | None  # time deposits only
    weight: float


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct("DEP-CURRENT", "活期储蓄", ProductType.DEPOSIT, None, 3.0),
    DemoProduct("TD-3M", "三个月整存整取", ProductType.TIME_DEPOSIT, 91, 1.0),
    DemoProduct("TD-1Y", "一年期整存整取", ProductType.TIME_DEPOSIT, 365, 1.5),
    DemoProduct("TD-3Y", "三年期大额存单", ProductType.TIME_DEPOSIT, 1095, 1.0),
    DemoProduct("WM-90D", "稳享90天理财", ProductType.WEALTH, None, 1.2),
    DemoProduct("WM-CASH", "天天利现金理财", ProductType.WEALTH, None, 1.0),
    DemoProduct("FD-CSI300", "沪深300指数基金", ProductType.FUND, None, 0.8),
    DemoProduct("FD-BOND", "纯债债券基金", ProductType.FUND, None, 0.6),
    DemoProduct("INS-ANNUITY", "金福年金保险", ProductType.INSURANCE, None, 0.4),
    DemoProduct("INS-LIFE", "终身寿险", ProductType.INSURANCE, None, 0.3),
)
_PRODUCT_LOG_WEIGHTS = np.log([product.weight for product in PRODUCTS])
_PRODUCT_TERMS = np.array([product.term_days or 0 for product in PRODUCTS])

CUSTOMER_COLUMNS = (
    "id", "customer_no", "name_cipher", "surname_index", "phone_cipher", "phone_index", "id_number_cipher",
    "id_number_index", "gender", "birth_date", "branch", "owner", "aum", "risk_level", "lifecycle_stage",
    "marketing_consent", "consent_at", "consent_source", "last_contact_at", "opened_on", "created_at", "updated_at",
)  # fmt: skip
HOLDING_COLUMNS = ("customer", "product_code", "product_name", "product_type", "amount", "opened_on", "maturity_date")


@dataclass(frozen=True)
class DemoCustomers:
    customers: int
    holdings: int
    first_customer_no: str
    last_customer_no: str


# --- Where customers live and who serves them -------------------------------------


@dataclass(frozen=True)
class _Outlets:
    """The outlets that have RMs, as parallel arrays, and RMs grouped by outlet."""

    branch_ids: Int64s
    region_indices: Int64s  # into region_codes
    region_codes: Int64s
    rm_offsets: Int64s  # outlet i's RMs are rm_ids[rm_offsets[i] : rm_offsets[i] + rm_counts[i]]
    rm_counts: Int64s
    rm_ids: Int64s
    demo_rm: tuple[int, int] | None  # the rm demo login's (outlet index, staff id)


def _region_code(path: str, region_by_path: dict[str, str]) -> str:
    """The outlet's own GB/T 2260 code, or its nearest ancestor's."""
    for end in range(len(path), 0, -Branch.steplen):
        if code := region_by_path.get(path[:end]):
            return code
    raise ApplicationError(f"No branch above {path} has a region code, so ID numbers cannot be made.")


def _outlets_load() -> _Outlets:
    region_by_path = dict(Branch.objects.exclude(region_code="").values_list("path", "region_code"))
    rms = (
        Staff.objects.filter(role=Role.RM, status=StaffStatus.ACTIVE, branch__level=BranchLevel.OUTLET)
        .order_by("branch__path", "id")
        .values_list("branch_id", "branch__path", "id", "user__username")
    )
    rm_ids_by_outlet: dict[int, list[int]] = {}
    paths: dict[int, str] = {}
    demo: tuple[int, int] | None = None
    for branch_id, path, staff_id, username in rms:
        rm_ids_by_outlet.setdefault(branch_id, []).append(staff_id)
        paths[branch_id] = path
        if username == DEMO_RM_USERNAME:
            demo = (branch_id, staff_id)
    if not rm_ids_by_outlet:
        raise ApplicationError("No outlet has an active RM: create the organisation before its customers.")

    branch_ids = list(rm_ids_by_outlet)
    regions = [int(_region_code(paths[branch_id], region_by_path)) for branch_id in branch_ids]
    region_codes, region_indices = np.unique(regions, return_inverse=True)
    rm_counts = np.array([len(rm_ids_by_outlet[branch_id]) for branch_id in branch_ids])
    return _Outlets(
        branch_ids=np.array(branch_ids),
        region_indices=region_indices,
        region_codes=region_codes,
        rm_offsets=np.cumsum(rm_counts) - rm_counts,
        rm_counts=rm_counts,
        rm_ids=np.array([staff_id for branch_id in branch_ids for staff_id in rm_ids_by_outlet[branch_id]]),
        demo_rm=(branch_ids.index(demo[0]), demo[1]) if demo else None,
    )


# --- Identity: birth dates, ID numbers, phones --------------------------------------


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class _BirthWindow:
    """Birth dates that make a customer 18 to 85 years old today."""

    earliest: np.datetime64
    days: int

    @classmethod
    def on(cls, today: datetime.date) -> _BirthWindow:
        earliest = _years_before(today, MAX_AGE + 1) + datetime.timedelta(days=1)
        latest = _years_before(today, MIN_AGE)
        return cls(earliest=np.datetime64(earliest, "D"), days=(latest - earliest).days + 1)

    def draw(self, rng: np.random.Generator, size: int) -> Days:
        # Beta(2, 2.8) puts most customers in their thirties to fifties, few at the edges.
        return self.earliest + (self.days - 1 - (rng.beta(2.0, 2.8, size) * self.days).astype(np.int64))


class _IdNumberIssuer:
    """Issues GB 11643 numbers that are unique within a run, however it is chunked.

    Numbers differ only in the three-digit sequence within one (region, birth date,
    gender), so each such group counts how many it has issued, starting from a random
    slot so that sequence codes look spread rather than all being 001. Issuers that run
    side by side (one per seeding process) take disjoint slots: issuer ``part`` of
    ``parts`` uses only the slots congruent to ``part`` modulo ``parts``.
    """

    SLOTS = 499  # sequences 001-997 (odd, men) and 002-998 (even, women)

    def __init__(
        self, *, rng: np.random.Generator, region_codes: Int64s, window: _BirthWindow, part: int = 0, parts: int = 1
    ) -> None:
        if not 0 <= part < parts <= self.SLOTS:
            raise ApplicationError("An ID number issuer's part must lie in 0 … parts - 1.")
        self._region_codes = region_codes
        self._window = window
        self._part, self._parts = part, parts
        self._slots = (self.SLOTS - part + parts - 1) // parts  # slots part, part + parts, … below SLOTS
        groups = len(region_codes) * window.days * 2
        self._issued = np.zeros(groups, dtype=np.int32)
        self._first_slot = rng.integers(0, self.SLOTS, size=groups, dtype=np.int32)

    def issue(self, *, region: Int64s, birth: Days, male: npt.NDArray[np.bool_]) -> list[str]:
        """ID numbers for customers born on ``birth`` in ``region`` (indices into region_codes)."""
        day = (birth - self._window.earliest).astype(np.int64)
        group = (region * self._window.days + day) * 2 + male
        order = np.argsort(group, kind="stable")
        sorted_groups = group[order]
        starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        slot = self._part + self._parts * ((self._first_slot[group] + self._issued[group] + rank) % self._slots)
        np.add.at(self._issued, group, 1)
        if self._issued.max(initial=0) > self._slots:
            raise ApplicationError("Too many customers share a birth date and region for unique ID numbers.")
        sequence = 2 * slot + np.where(male, 1, 2)
        body = self._region_codes[region] * 10**11 + _yyyymmdd(birth) * 10**3 + sequence
        return np.char.add(body.astype(str), _check_characters(body)).tolist()


def _yyyymmdd(days: Days) -> Int64s:
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return years * 10_000 + months * 100 + day_of_month


def _check_characters(body: Int64s) -> npt.NDArray[np.str_]:
    """ISO 7064 MOD 11-2 over 17-digit bodies, vectorised (customers.identity is the scalar spec)."""
    place_values = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = body[:, None] // place_values % 10
    return np.array(list(CHECK_CHARACTERS))[(digits @ np.array(CHECK_WEIGHTS)) % 11]


def _phones(serials: Int64s) -> list[str]:
    # Python ints: the product overflows int64.
    positions = np.array([(_PHONE_MULTIPLIER * int(s) + _PHONE_SHIFT) % _PHONE_SPACE for s in serials])
    prefixes = np.array(PHONE_PREFIXES)[positions // 10**8]
    return np.char.add(prefixes.astype(str), np.char.zfill((positions % 10**8).astype(str), 8)).tolist()


# --- Customers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CustomerChunk:
    """One chunk of customers as COPY rows, plus the columns their holdings are drawn from."""

    ids: Int64s
    opened_on: Days
    aum_cents: Int64s
    rows: list[tuple[object, ...]]


def _cents_text(cents: Int64s) -> list[str]:
    """Exact decimal text for whole cents (money never goes through float formatting)."""
    units = (cents // 100).astype(str)
    return np.char.add(np.char.add(units, "."), np.char.zfill((cents % 100).astype(str), 2)).tolist()


def _iso_text(moments: npt.NDArray[np.datetime64]) -> list[str | None]:
    """ISO 8601 dates, or UTC timestamps ending in Z; None (SQL NULL) for NaT."""
    return [None if text == "NaT" else text for text in np.datetime_as_string(moments, timezone="UTC").tolist()]


def _owners(rng: np.random.Generator, outlets: _Outlets, outlet: Int64s) -> Int64s:
    """An RM of the customer's own outlet, or -1 for the outlet's unassigned pool."""
    pick = (rng.random(len(outlet)) * outlets.rm_counts[outlet]).astype(np.int64)
    owner = outlets.rm_ids[outlets.rm_offsets[outlet] + pick]
    return np.where(rng.random(len(outlet)) < UNASSIGNED_SHARE, -1, owner)


class _CustomerDrawer:
    def __init__(
        self, *, rng: np.random.Generator, outlets: _Outlets, today: datetime.date, part: int = 0, parts: int = 1
    ) -> None:
        self._rng = rng
        self._outlets = outlets
        self._today = np.datetime64(today, "D")
        now = timezone.now()
        self._now = np.datetime64(int(now.timestamp()), "s")
        self._now_text = now.isoformat()
        self._births = _BirthWindow.on(today)
        self._ids = _IdNumberIssuer(
            rng=rng, region_codes=outlets.region_codes, window=self._births, part=part, parts=parts
        )
        # Outlets differ in size, as real ones do.
        self._outlet_p = rng.lognormal(0.0, 0.5, len(outlets.branch_ids))
        self._outlet_p /= self._outlet_p.sum()

    def draw(self, *, ids: Int64s, serials: Int64s) -> _CustomerChunk:
        rng, outlets, today, size = self._rng, self._outlets, self._today, len(ids)
        outlet, owner = self._placements(size)
        male = rng.random(size) < 0.5
        birth = self._births.draw(rng, size)
        opened_on = self._opened_on(birth)
        stage = np.where(
            (today - opened_on).astype(np.int64) > 365,
            rng.choice(SETTLED_STAGES, size=size, p=SETTLED_STAGE_P),
            LifecycleStage.NEW.value,
        )
        aum_cents = self._aum_cents(birth=birth, stage=stage)
        consent = rng.random(size) < MARKETING_CONSENT_SHARE
        consent_at = self._moment_after(opened_on, where=consent)
        contacted = (owner >= 0) & (rng.random(size) < RECENTLY_CONTACTED_SHARE)
        last_contact_at = self._moment_after(np.maximum(opened_on, today - RECENT_CONTACT), where=contacted)

        names = names_draw(rng=rng, male=male).hanzi().tolist()
        phones = _phones(serials)
        id_numbers = self._ids.issue(region=outlets.region_indices[outlet], birth=birth, male=male)
        columns = (
            ids.tolist(),
            [f"C{serial:010d}" for serial in serials.tolist()],
            seal_many(names, kind=PiiKind.NAME),
            surname_index_many(names),
            seal_many(phones, kind=PiiKind.PHONE),
            blind_index_many(phones, kind=PiiKind.PHONE),
            seal_many(id_numbers, kind=PiiKind.ID_NUMBER),
            blind_index_many(id_numbers, kind=PiiKind.ID_NUMBER),
            np.where(male, Gender.MALE.value, Gender.FEMALE.value).tolist(),
            _iso_text(birth),
            outlets.branch_ids[outlet].tolist(),
            [None if staff_id < 0 else staff_id for staff_id in owner.tolist()],
            _cents_text(aum_cents),
            rng.choice(RISK_LEVELS, size=size, p=RISK_LEVEL_P).tolist(),
            stage.tolist(),
            consent.tolist(),
            _iso_text(consent_at),
            np.where(consent, rng.choice(CONSENT_SOURCES, size=size), "").tolist(),
            _iso_text(last_contact_at),
            _iso_text(opened_on),
            [self._now_text] * size,
            [self._now_text] * size,
        )
        return _CustomerChunk(ids=ids, opened_on=opened_on, aum_cents=aum_cents, rows=list(zip(*columns, strict=True)))

    def _placements(self, size: int) -> tuple[Int64s, Int64s]:
        """Each customer's outlet and owner (-1: the outlet's pool); a share go to the demo rm."""
        outlets = self._outlets
        outlet = self._rng.choice(len(outlets.branch_ids), size=size, p=self._outlet_p)
        owner = _owners(self._rng, outlets, outlet)
        if outlets.demo_rm:
            for_demo_rm = self._rng.random(size) < DEMO_RM_SHARE
            outlet[for_demo_rm], owner[for_demo_rm] = outlets.demo_rm
        return outlet, owner

    def _opened_on(self, birth: Days) -> Days:
        """A day since the customer came of age, within the bank's records."""
        adult_on = birth + np.timedelta64(round(MIN_AGE * 365.25), "D")
        since = np.maximum(adult_on, self._today - np.timedelta64(round(OLDEST_RELATIONSHIP_YEARS * 365.25), "D"))
        days = self._rng.random(len(birth)) * (self._today - since).astype(np.int64)
        return since + days.astype("timedelta64[D]")

    def _aum_cents(self, *, birth: Days, stage: npt.NDArray[np.str_]) -> Int64s:
        # Wealth grows with age; churned customers have taken most of it elsewhere.
        age_years = (self._today - birth).astype(np.int64) / 365.25
        aum = self._rng.lognormal(np.log(AUM_MEDIAN_AT_18) + AUM_GROWTH_PER_YEAR * (age_years - MIN_AGE), AUM_SIGMA)
        aum = np.where(stage == LifecycleStage.CHURNED.value, aum * CHURNED_AUM_LEFT, aum)
        return np.minimum(np.round(aum * 100), AUM_CAP_CENTS).astype(np.int64)

    def _moment_after(self, start: Days, *, where: npt.NDArray[np.bool_]) -> npt.NDArray[np.datetime64]:
        """A moment between the start of the given day and now, or NaT where ``where`` is false."""
        start_moment = start.astype("datetime64[s]")
        span = (self._now - start_moment).astype(np.int64)
        moment = start_moment + (self._rng.random(len(start)) * span).astype("timedelta64[s]")
        return np.where(where, moment, np.datetime64("NaT", "s"))


# --- Holdings ---------------------------------------------------------------------------------


def _holding_rows(*, rng: np.random.Generator, chunk: _CustomerChunk, today: datetime.date) -> list[tuple[object, ...]]:
    """0-3 distinct products per customer; amounts are shares of the customer's AUM."""
    size = len(chunk.ids)
    per_customer = rng.choice(MAX_HOLDINGS + 1, size=size, p=HOLDINGS_PER_CUSTOMER_P)
    # Gumbel top-k: distinct products per customer, drawn in proportion to their weights.
    ranked = np.argsort(-(_PRODUCT_LOG_WEIGHTS + rng.gumbel(size=(size, len(PRODUCTS)))), axis=1)[:, :MAX_HOLDINGS]
    taken = np.arange(MAX_HOLDINGS) < per_customer[:, None]
    customer, product = np.nonzero(taken)[0], ranked[taken]

    # Dirichlet shares of the AUM, with one extra part left in accounts not listed.
    share = rng.exponential(size=len(customer))
    whole = np.bincount(customer, weights=share, minlength=size) + rng.exponential(size=size)
    amount_cents = np.floor(chunk.aum_cents[customer] * share / whole[customer]).astype(np.int64)
    amount_cents = np.maximum(amount_cents, MIN_HOLDING_CENTS)

    opened = chunk.opened_on[customer]
    term = _PRODUCT_TERMS[product]
    has_term = term > 0
    maturity = np.datetime64(today, "D") + rng.integers(1, MATURITY_HORIZON_DAYS + 1, size=len(customer))
    since_opened = (np.datetime64(today, "D") - opened).astype(np.int64)
    holding_opened = np.where(
        has_term,
        np.maximum(maturity - term.astype("timedelta64[D]"), opened),
        opened + (rng.random(len(customer)) * since_opened).astype("timedelta64[D]"),
    )
    columns = (
        chunk.ids[customer].tolist(),
        [PRODUCTS[p].code for p in product.tolist()],
        [PRODUCTS[p].name for p in product.tolist()],
        [PRODUCTS[p].type.value for p in product.tolist()],
        _cents_text(amount_cents),
        _iso_text(holding_opened),
        _iso_text(np.where(has_term, maturity, np.datetime64("NaT", "D"))),
    )
    return list(zip(*columns, strict=True))


# --- Loading ------------------------------------------------------------------------------------


class DemoCustomerDrawer:
    """Draws demo customers with their holdings, chunk by chunk, and COPYs them in.

    One drawer per process: the benchmark's seeder runs several side by side, each with
    its own generator and its own share (``part`` of ``parts``) of the ID-number slots,
    so that together they issue unique numbers, as one drawer does.
    """

    def __init__(self, *, seed: int | Sequence[int], today: datetime.date, part: int = 0, parts: int = 1) -> None:
        self._rng = np.random.default_rng(seed)
        self._today = today
        self._customers = _CustomerDrawer(rng=self._rng, outlets=_outlets_load(), today=today, part=part, parts=parts)

    def copy(self, cursor: psycopg.Cursor[Any], *, ids: Int64s, first_serial: int) -> int:
        """COPY customers with the given ids and serials from ``first_serial`` on; their holdings' count."""
        chunk = self._customers.draw(ids=ids, serials=np.arange(first_serial, first_serial + len(ids), dtype=np.int64))
        _copy(cursor, Customer, CUSTOMER_COLUMNS, chunk.rows)
        holding_rows = _holding_rows(rng=self._rng, chunk=chunk, today=self._today)
        _copy(cursor, ProductHolding, HOLDING_COLUMNS, holding_rows)
        return len(holding_rows)


def demo_customer_ids_reserve(cursor: psycopg.Cursor[Any], *, count: int) -> Int64s:
    """``count`` ids from the customer table's own sequence."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (Customer._meta.db_table, count),
    )
    return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)


def _copy(
    cursor: psycopg.Cursor[Any], model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    columns = sql.SQL(", ").join([sql.Identifier(column) for column in _columns(model, fields)])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(model._meta.db_table), columns)
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _columns(model: type[models.Model], field_names: Sequence[str]) -> list[str]:
    column_by_name = {field.name: field.column for field in model._meta.concrete_fields if field.column}
    return [column_by_name[name] for name in field_names]


def _chunks(count: int, size: int) -> Iterator[int]:
    for start in range(0, count, size):
        yield min(size, count - start)


@transaction.atomic
def demo_customers_create(*, count: int, seed: int, chunk_size: int = CHUNK_SIZE) -> DemoCustomers:
    """Add ``count`` customers with holdings to the outlets that have RMs."""
    if count < 1:
        raise ApplicationError("Create at least one customer.")
    drawer = DemoCustomerDrawer(seed=seed, today=timezone.localdate())
    holdings = 0
    with connection.cursor() as django_cursor:
        # Serialise concurrent seeders so that customer numbers continue where the last one ended.
        django_cursor.execute("SELECT pg_advisory_xact_lock(hashtext('customers.demo'))")
        first_serial = demo_next_customer_serial()
        cursor = django_cursor.connection.cursor()  # psycopg's own, for COPY
        serial = first_serial
        for size in _chunks(count, chunk_size):
            ids = demo_customer_ids_reserve(cursor, count=size)
            holdings += drawer.copy(cursor, ids=ids, first_serial=serial)
            serial += size
    return DemoCustomers(
        customers=count,
        holdings=holdings,
        first_customer_no=f"C{first_serial:010d}",
        last_customer_no=f"C{serial - 1:010d}",
    )


def demo_next_customer_serial() -> int:
    """One past the highest ``C`` + 10-digit number; fixed width makes text order numeric."""
    highest = (
        Customer.objects.filter(customer_no__regex=r"^C[0-9]{10}$")
        .order_by("-customer_no")
        .values_list("customer_no", flat=True)
        .first()
    )
    return int(highest[1:]) + 1 if highest else 1
