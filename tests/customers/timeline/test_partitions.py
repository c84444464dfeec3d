"""The timeline is partitioned by China month: created ahead, rows moved out of DEFAULT, reads unchanged."""

import datetime
from datetime import UTC

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.demo_history import HISTORY_DAYS, demo_aum_history_create
from customers.models import Customer, TimelineEvent, TimelineKind
from customers.selectors import timeline_recent_visible
from customers.timeline.selectors import (
    TIMELINE_DEFAULT_PARTITION,
    timeline_default_months,
    timeline_for_customer,
    timeline_partition_name,
    timeline_partitions,
    timeline_recent_start,
)
from customers.timeline.services import PARTITION_MONTHS_AHEAD, timeline_partitions_ensure
from customers.timeline.tasks import timeline_partitions_ensure_task
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _event(customer: Customer, at: datetime.datetime, summary: str = "x") -> TimelineEvent:
    return TimelineEvent.objects.create(customer=customer, kind=TimelineKind.CONTACTED, occurred_at=at, summary=summary)


def _partition_of(event: TimelineEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM customers_timelineevent WHERE id = %s", [event.pk])
        return str(cursor.fetchone()[0])


def _names() -> list[str]:
    return [partition.name for partition in timeline_partitions()]


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def test_a_new_database_has_this_month_and_the_next_and_a_default_and_the_key_holds_the_partition_key() -> None:
    today = timezone.localdate()
    this_month = (today.year, today.month)

    names = _names()

    assert timeline_partition_name(*this_month) in names
    assert timeline_partition_name(*_month_after(*this_month)) in names
    assert names[-1] == TIMELINE_DEFAULT_PARTITION
    assert "customers_timelineevent_history" not in names  # a new database had no plain table to keep
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'customers_timelineevent'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, occurred_at)"


def test_the_upkeep_creates_the_months_ahead_once() -> None:
    created = timeline_partitions_ensure(today=datetime.date(2031, 11, 20))

    assert created == [timeline_partition_name(*m) for m in [(2031, 11), (2031, 12), (2032, 1), (2032, 2)]]
    assert PARTITION_MONTHS_AHEAD == 3
    assert timeline_partitions_ensure(today=datetime.date(2031, 11, 20)) == []
    assert timeline_partitions_ensure(today=datetime.date(2031, 12, 1)) == [timeline_partition_name(2032, 3)]


def test_the_daily_beat_task_takes_no_arguments_and_a_second_run_creates_nothing(settings) -> None:
    today = timezone.localdate()

    timeline_partitions_ensure_task()

    assert timeline_partitions_ensure_task() == []
    last = (today.year, today.month)
    for _ in range(PARTITION_MONTHS_AHEAD):
        last = _month_after(*last)
    assert timeline_partition_name(*last) in _names()
    assert settings.CELERY_BEAT_SCHEDULE["timeline-partitions-daily"]["task"] == "customers.timeline_partitions_ensure"


def test_a_partition_s_range_is_a_china_month(world: World) -> None:
    timeline_partitions_ensure(today=datetime.date(2031, 11, 20))
    customer = world.customers_rm_bj[0]
    # 2031-12-01 00:30 in Beijing is still November in UTC.
    december = _event(customer, datetime.datetime(2031, 11, 30, 16, 30, tzinfo=UTC))
    november = _event(customer, datetime.datetime(2031, 11, 30, 15, 30, tzinfo=UTC))

    assert _partition_of(december) == "customers_timelineevent_y2031m12"
    assert _partition_of(november) == "customers_timelineevent_y2031m11"


def test_an_event_of_a_month_without_a_partition_waits_in_default_and_moves_into_its_month(world: World) -> None:
    customer = world.customers_rm_bj[0]
    early = _event(customer, datetime.datetime(2035, 3, 3, tzinfo=UTC), "early")
    late = _event(customer, datetime.datetime(2035, 3, 28, tzinfo=UTC), "late")
    april = _event(customer, datetime.datetime(2035, 4, 2, tzinfo=UTC), "april")
    assert {_partition_of(e) for e in (early, late, april)} == {TIMELINE_DEFAULT_PARTITION}
    assert timeline_default_months() == [(2035, 3), (2035, 4)]
    before = [(e.pk, e.summary) for e in timeline_for_customer(customer_id=customer.pk, user=world.rm_bj.user)]

    # Today is long before 2035: only DEFAULT's months name these partitions.
    created = timeline_partitions_ensure()

    assert timeline_partition_name(2035, 3) in created
    assert timeline_partition_name(2035, 4) in created
    assert _partition_of(early) == _partition_of(late) == "customers_timelineevent_y2035m03"
    assert _partition_of(april) == "customers_timelineevent_y2035m04"
    assert timeline_default_months() == []
    # Same rows, same ids, same order: nothing the readers see has changed.
    after = [(e.pk, e.summary) for e in timeline_for_customer(customer_id=customer.pk, user=world.rm_bj.user)]
    assert after == before == [(april.pk, "april"), (late.pk, "late"), (early.pk, "early")]
    # And the month's next event goes straight to its partition.
    assert _partition_of(_event(customer, datetime.datetime(2035, 3, 10, tzinfo=UTC))) == (
        "customers_timelineevent_y2035m03"
    )


def test_an_event_dated_outside_the_years_the_upkeep_partitions_stays_in_default(world: World) -> None:
    ancient = _event(world.customers_rm_bj[0], datetime.datetime(1999, 6, 1, tzinfo=UTC))

    timeline_partitions_ensure()

    assert _partition_of(ancient) == TIMELINE_DEFAULT_PARTITION


def test_the_demo_s_year_of_contacts_lands_in_a_partition_per_month_none_in_default(world: World) -> None:
    today = timezone.localdate()

    history = demo_aum_history_create(seed=7)

    assert history.contacts > 0
    first = today - datetime.timedelta(days=HISTORY_DAYS)
    assert timeline_partition_name(first.year, first.month) in _names()
    assert timeline_default_months() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT tableoid) FROM customers_timelineevent WHERE occurred_at < %s",
            [timezone.now() - datetime.timedelta(days=300)],
        )
        assert cursor.fetchone()[0] >= 3


def test_the_timeline_reads_newest_first_across_months_and_default(world: World) -> None:
    timeline_partitions_ensure(today=datetime.date(2031, 11, 20))
    customer = world.customers_rm_bj[0]
    moments = [
        datetime.datetime(2031, 11, 5, tzinfo=UTC),
        datetime.datetime(2032, 1, 9, tzinfo=UTC),
        datetime.datetime(2040, 1, 1, tzinfo=UTC),  # DEFAULT
        datetime.datetime(2031, 12, 24, tzinfo=UTC),
    ]
    events = [_event(customer, at, f"e{index}") for index, at in enumerate(moments)]
    tie = _event(customer, moments[1], "tie")  # same moment: the later id first
    _event(world.customers_rm_sh[0], moments[0], "someone else")

    read = list(timeline_for_customer(customer_id=customer.pk, user=world.rm_bj.user))

    assert [e.summary for e in read] == ["e2", "tie", "e1", "e3", "e0"]
    assert len({_partition_of(e) for e in events}) == 4
    assert tie.pk > events[1].pk
    # Outside the viewer's scope, nothing (the scope filter still applies through the partitions).
    assert not timeline_for_customer(customer_id=customer.pk, user=world.rm_sh.user).exists()


def _plan(sql: str, params: tuple[object, ...]) -> str:
    with connection.cursor() as cursor:
        # Test tables are tiny: the planner would rather read them whole. Bar that, and see
        # which plan the production-sized tables get.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _recent(customer: Customer) -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.filter(customer=customer).order_by("-occurred_at", "-id")


def test_a_customer_s_timeline_is_a_merge_of_each_partition_s_index_without_a_sort(world: World) -> None:
    timeline_partitions_ensure(today=datetime.date(2031, 11, 20))
    sql, params = _recent(world.customers_rm_bj[0])[:20].query.sql_with_params()

    plan = _plan(sql, params)

    assert "Merge Append" in plan, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan
    assert "Seq Scan" not in plan, plan
    for name in _names():
        assert f"Index Scan using {name}_customer_id_occurred_at_id_idx on {name}" in plan, plan


def _timeline_read(sql: str) -> str | None:
    if 'FROM "customers_timelineevent"' not in sql:
        return None
    return "older" if '"occurred_at" <' in sql else "window"


def test_the_home_page_reads_the_recent_months_first_and_the_older_ones_only_when_short(world: World) -> None:
    customer = world.customers_rm_bj[0]
    since = timeline_recent_start()
    for day in range(3):
        _event(customer, since - datetime.timedelta(days=40 + day), f"old{day}")
    for hour in range(3):
        _event(customer, since + datetime.timedelta(hours=hour), f"recent{hour}")
    _event(world.customers_rm_sh[0], since + datetime.timedelta(hours=9), "out of scope")
    timeline_recent_visible(user=world.rm_bj.user, limit=1)  # the viewer's scope, read once

    with CaptureQueriesContext(connection) as enough:
        few = timeline_recent_visible(user=world.rm_bj.user, limit=2)
    with CaptureQueriesContext(connection) as short:
        more = timeline_recent_visible(user=world.rm_bj.user, limit=5)

    assert [item.summary for item in few] == ["recent2", "recent1"]
    assert [item.summary for item in more] == ["recent2", "recent1", "recent0", "old0", "old1"]
    # One read of the timeline when the window holds enough; one more for the older months.
    assert [_timeline_read(query["sql"]) for query in enough.captured_queries] == ["window"]
    assert [_timeline_read(query["sql"]) for query in short.captured_queries] == ["window", "older"]
    # The first read names the window, so it is pruned to the months from its start on.
    before = since - datetime.timedelta(days=1)
    timeline_partitions_ensure(since=before.date())
    window = _recent(customer).filter(occurred_at__gte=since)[:20]
    assert timeline_partition_name(before.year, before.month) not in _plan(*window.query.sql_with_params())


def test_a_read_bounded_in_time_touches_only_the_months_it_needs(world: World) -> None:
    timeline_partitions_ensure(today=datetime.date(2031, 11, 20))
    since = datetime.datetime(2032, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    events = TimelineEvent.objects.filter(customer=world.customers_rm_bj[0], occurred_at__gte=since)
    sql, params = events.order_by("-occurred_at", "-id").query.sql_with_params()

    plan = _plan(sql, params)

    for month in ("y2032m01", "y2032m02", "default"):
        assert f"customers_timelineevent_{month}" in plan, plan
    for month in ("y2031m11", "y2031m12"):
        assert f"customers_timelineevent_{month}" not in plan, plan


def _plain_table() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'customers_timelineevent'")
        return cursor.fetchone()[0] == "r"


@pytest.mark.django_db(transaction=True)
def test_an_existing_plain_timeline_is_attached_whole_and_migrating_back_makes_it_plain_again(world: World) -> None:
    customer = world.customers_rm_bj[0]
    today = timezone.localdate()
    next_month = _month_after(today.year, today.month)
    try:
        call_command("migrate", "customers", "0012", verbosity=0)
        assert _plain_table()
        old = _event(customer, datetime.datetime(2024, 2, 2, tzinfo=UTC), "old")
        recent = _event(customer, timezone.now(), "recent")
        ahead = _event(customer, datetime.datetime(2041, 1, 1, tzinfo=UTC), "dated ahead")

        call_command("migrate", "customers", verbosity=0)

        assert not _plain_table()
        names = _names()
        assert names[0] == "customers_timelineevent_history"
        # The plain table became the partition of everything before next month; its months ahead are new.
        assert timeline_partition_name(today.year, today.month) not in names
        assert timeline_partition_name(*next_month) in names
        assert timeline_partition_name(*_month_after(*next_month)) in names
        assert _partition_of(old) == _partition_of(recent) == "customers_timelineevent_history"
        assert _partition_of(ahead) == TIMELINE_DEFAULT_PARTITION
        # The identity sequence continues after the rows kept, and this month needs no partition of its own.
        assert _event(customer, timezone.now()).pk > ahead.pk
        assert timeline_partition_name(today.year, today.month) not in timeline_partitions_ensure()
        read = timeline_for_customer(customer_id=customer.pk, user=world.rm_bj.user)
        assert [e.summary for e in read] == ["dated ahead", "x", "recent", "old"]

        call_command("migrate", "customers", "0012", verbosity=0)

        assert _plain_table()
        assert set(TimelineEvent.objects.values_list("id", "summary")) >= {
            (old.pk, "old"),
            (recent.pk, "recent"),
            (ahead.pk, "dated ahead"),
        }
        assert _event(customer, timezone.now()).pk > ahead.pk + 1
    finally:
        # Emptied first, so the table is made again as on a new database for the tests after this one.
        TimelineEvent.objects.all().delete()
        call_command("migrate", "customers", verbosity=0)
    assert "customers_timelineevent_history" not in _names()
