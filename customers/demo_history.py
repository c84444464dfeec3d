"""A year of demo history with a planted churn signal: AUM snapshots and RM contacts.

About a third of the customers leave at some day within the year or the next two months
(``LEAVER_SHARE``). In the ~90 days before leaving, their AUM runs down to about a third
and their RM stops hearing from them; on the day they leave, the AUM falls under a few
hundred yuan. Everyone else's AUM wanders a little and they keep being contacted, though
some (``FALSE_ALARM_SHARE``) also see a fall in AUM without leaving, some leavers are
still contacted and some leave abruptly (``ABRUPT_LEAVER_SHARE``): the signal is strong
but not perfect, as in a real bank. Whoever leaves after today is the one a model should flag now.

Snapshots fall every 30 days back from today, and on the day a customer leaves; each
customer's current AUM and last contact are set to match the history. Rows go in with
``COPY``; nothing here is per-row SQL. The timeline's partitions for the year are created first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from customers.models import AumSnapshot, TimelineEvent, TimelineKind
from customers.timeline.services import timeline_partitions_ensure

HISTORY_DAYS = 390
SNAPSHOT_STEP_DAYS = 30
LEAVER_SHARE = 0.33
LEAVE_AFTER_TODAY_DAYS = 60  # leavers leave up to this long after today (not yet gone)
RUN_DOWN_DAYS = 90
RUN_DOWN_TO = 0.35
LEFT_AUM_MAX = 800  # yuan: under the default churn AUM floor
FALSE_ALARM_SHARE = 0.2
SILENT_BEFORE_LEAVING_DAYS = 75
STILL_CONTACTED_LEAVER_SHARE = 0.35
ABRUPT_LEAVER_SHARE = 0.3  # leave with no run-down at all: no model sees them coming
DRIFT_SIGMA = 0.08
CONTACT_EVERY_DAYS = 25  # mean gap between contacts of an owned customer
POOL_CONTACT_EVERY_DAYS = 120


@dataclass(frozen=True)
class DemoHistory:
    customers: int
    leavers: int
    snapshots: int
    contacts: int


@transaction.atomic
def demo_aum_history_create(
    *, seed: int, customer_ids: tuple[int, int] | None = None, today: datetime.date | None = None
) -> DemoHistory:
    """Plant the history for the customers with ids in ``customer_ids`` (all when None)."""
    today = today or timezone.localdate()
    rng = np.random.default_rng(seed ^ 0xC4)
    low, high = customer_ids or (0, 2**62)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, aum, opened_on, owner_id IS NOT NULL FROM customers_customer WHERE id BETWEEN %s AND %s "
            "ORDER BY id",
            [low, high],
        )
        rows = cursor.fetchall()
    if not rows:
        return DemoHistory(customers=0, leavers=0, snapshots=0, contacts=0)
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    base = np.array([float(row[1]) for row in rows])
    size = len(ids)
    oldest = -HISTORY_DAYS
    # Days relative to today on which the customer exists (opened_on, else the whole year).
    opened = np.array(
        [oldest if row[2] is None else max(oldest, (row[2] - today).days) for row in rows], dtype=np.int64
    )
    owned = np.array([bool(row[3]) for row in rows])
    # Customers with no AUM to lose stay as they are.
    leaver = (rng.random(size) < LEAVER_SHARE) & (base >= 5_000)
    leave_day = np.where(leaver, rng.integers(oldest + RUN_DOWN_DAYS, LEAVE_AFTER_TODAY_DAYS + 1, size), 10**6)
    false_alarm = ~leaver & (rng.random(size) < FALSE_ALARM_SHARE)
    false_alarm_day = rng.integers(oldest, 1, size)
    run_down = np.where(rng.random(size) < ABRUPT_LEAVER_SHARE, 1, RUN_DOWN_DAYS)

    def aum_on(day: int) -> np.ndarray:
        drift = np.exp(rng.normal(0.0, DRIFT_SIGMA, size))
        # The run-down: from 1 at ``run_down`` days before leaving to RUN_DOWN_TO on the day before.
        progress = np.clip((day - (leave_day - run_down)) / run_down, 0.0, 1.0)
        factor = 1.0 - (1.0 - RUN_DOWN_TO) * progress
        alarm = np.clip((day - false_alarm_day) / RUN_DOWN_DAYS, 0.0, 1.0) * false_alarm
        factor = factor * (1.0 - 0.5 * alarm)
        value = base * factor * drift
        return np.where(day >= leave_day, rng.uniform(0, LEFT_AUM_MAX, size), value)

    snapshot_rows: list[tuple[object, ...]] = []
    current = base.copy()
    for day in range(oldest, 1, SNAPSHOT_STEP_DAYS):
        values = aum_on(day)
        if day + SNAPSHOT_STEP_DAYS > 0:
            current = values
        alive = opened <= day
        snapshot_rows += _snapshots(ids[alive], values[alive], today + datetime.timedelta(days=day))
    # The day each past leaver fell below the floor.
    gone = leaver & (leave_day <= 0) & (opened <= leave_day)
    left_values = rng.uniform(0, LEFT_AUM_MAX, size)
    for index in np.flatnonzero(gone):
        left_on = today + datetime.timedelta(days=int(leave_day[index]))
        snapshot_rows.append((int(ids[index]), left_on, round(float(left_values[index]), 2)))
    current = np.where(gone, np.minimum(current, left_values), current)
    # Keep one snapshot per customer and day: the last written wins (the leaving day's).
    snapshot_rows = list({(row[0], row[1]): row for row in snapshot_rows}.values())

    contact_rows, last_contact = _contacts(
        rng=rng, ids=ids, owned=owned, opened=opened, leave_day=leave_day, today=today
    )
    # The contacts' months get their partitions before the rows arrive, so none waits in DEFAULT.
    timeline_partitions_ensure(today=today, since=today + datetime.timedelta(days=oldest))
    with connection.cursor() as django_cursor:
        cursor = django_cursor.connection.cursor()
        cursor.execute("DELETE FROM customers_aumsnapshot WHERE customer_id = ANY(%s)", [ids.tolist()])
        with cursor.copy("COPY customers_aumsnapshot (customer_id, as_of, aum) FROM STDIN") as copy:
            for row in snapshot_rows:
                copy.write_row(row)
        columns = "customer_id, kind, occurred_at, summary, data"
        with cursor.copy(f"COPY {TimelineEvent._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in contact_rows:
                copy.write_row(row)
        cursor.execute(
            "UPDATE customers_customer c SET aum = u.aum, last_contact_at = u.last_contact_at "
            "FROM unnest(%s::bigint[], %s::numeric[], %s::timestamptz[]) AS u(id, aum, last_contact_at) "
            "WHERE c.id = u.id",
            [ids.tolist(), np.round(current, 2).tolist(), last_contact],
        )
    assert AumSnapshot._meta.db_table == "customers_aumsnapshot"
    return DemoHistory(
        customers=size, leavers=int(leaver.sum()), snapshots=len(snapshot_rows), contacts=len(contact_rows)
    )


def _snapshots(ids: np.ndarray, values: np.ndarray, day: datetime.date) -> list[tuple[object, ...]]:
    return [
        (customer_id, day, value) for customer_id, value in zip(ids.tolist(), np.round(values, 2).tolist(), strict=True)
    ]


def _contacts(
    *,
    rng: np.random.Generator,
    ids: np.ndarray,
    owned: np.ndarray,
    opened: np.ndarray,
    leave_day: np.ndarray,
    today: datetime.date,
) -> tuple[list[tuple[object, ...]], list[datetime.datetime | None]]:
    """RM contacts as timeline events: regular while engaged, none in the weeks before leaving."""
    now = timezone.now()
    midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    still_contacted = rng.random(len(ids)) < STILL_CONTACTED_LEAVER_SHARE
    silent_from = np.where(still_contacted, leave_day, leave_day - SILENT_BEFORE_LEAVING_DAYS)
    gap = np.where(owned, CONTACT_EVERY_DAYS, POOL_CONTACT_EVERY_DAYS).astype(float)
    rows: list[tuple[object, ...]] = []
    last: list[datetime.datetime | None] = [None] * len(ids)
    day = opened.astype(float) + rng.exponential(gap)
    while True:
        active = (day <= 0) & (day < silent_from)
        if not active.any():
            break
        for index in np.flatnonzero(active).tolist():
            moment = min(midnight + datetime.timedelta(days=float(day[index])), now)
            rows.append((int(ids[index]), TimelineKind.CONTACTED.value, moment, "客户经理联系客户", "{}"))
            last[index] = moment
        day = np.where(active, day + rng.exponential(gap), np.inf)
    return rows, last
