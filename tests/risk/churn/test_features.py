"""Churn features of hand-made customers, as they were on a day, and the "left" label."""

import datetime
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import AumSnapshot, HoldingPurchase, ImportJob, ProductHolding, TimelineEvent
from risk.churn.features import FEATURES, ChurnLabel, churn_features_for_range
from tests.conftest import World
from tests.factories import CustomerFactory, ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db

T = datetime.date(2026, 6, 30)


def moment(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def features_of(customer_id: int, **kwargs) -> dict:
    frame = churn_features_for_range(low=customer_id, high=customer_id, as_of=kwargs.pop("as_of", T), **kwargs)
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def test_a_customer_with_falling_aum_and_no_recent_contact_has_those_values_on_the_day(world: World) -> None:
    customer = CustomerFactory(
        owner=world.rm_bj,
        aum=Decimal("100.00"),  # today's AUM: not what it was on T
        opened_on=T - days(1000),
        birth_date=datetime.date(1990, 1, 1),  # 36 on T
        last_contact_at=moment(T + days(5)),  # after T: unknown on T
    )
    for offset, aum in ((-120, "100000"), (-60, "80000"), (-10, "50000"), (10, "500")):
        AumSnapshot.objects.create(customer=customer, as_of=T + days(offset), aum=Decimal(aum))
    ProductHolding.objects.create(
        customer=customer, product_code="TD-1", product_name="定期", product_type="time_deposit",
        amount=1, opened_on=T - days(300), maturity_date=T + days(20),
    )  # fmt: skip
    ProductHolding.objects.create(
        customer=customer, product_code="TD-2", product_name="定期", product_type="time_deposit",
        amount=1, opened_on=T - days(400), maturity_date=T - days(30),
    )  # fmt: skip
    ProductHolding.objects.create(
        customer=customer, product_code="FUND", product_name="基金", product_type="fund",
        amount=1, opened_on=T + days(3),
    )  # fmt: skip
    job = ImportJob.objects.create(kind="holdings", mode="valid_rows", original_name="x.csv", created_by=world.hq_admin)
    for day in (T - days(10), T - days(100), T + days(1)):
        HoldingPurchase.objects.create(
            customer=customer, product_code="TD-1", product_type="time_deposit", amount=1, purchased_on=day,
            import_job=job, recorded_at=timezone.now(),
        )  # fmt: skip
    for kind, day in (("contacted", T - days(40)), ("note", T - days(20)), ("contacted", T + days(2))):
        TimelineEvent.objects.create(customer=customer, kind=kind, occurred_at=moment(day), summary="x")
    TimelineEvent.objects.create(customer=customer, kind="campaign_sent", occurred_at=moment(T - days(5)), summary="x")
    contact = ExternalContactFactory(customer=customer, matched_at=moment(T - days(200)))
    FollowRelationFactory(contact=contact, staff=world.rm_bj, added_at=moment(T - days(300)))

    row = features_of(customer.pk)

    assert row["aum"] == 50000
    assert row["aum_change_30d"] == pytest.approx((50000 - 80000) / 80000)
    assert row["aum_change_90d"] == pytest.approx(-0.5)
    assert row["holdings"] == 1  # TD-2 matured before T, FUND opened after
    assert row["days_to_maturity"] == 20
    assert row["products_closed_90d"] == 1
    assert row["tenure_days"] == 1000
    assert row["age_band"] == 1
    assert row["wecom_relation"] == 1
    assert row["relation_deleted"] == 0
    assert row["identity_verified"] == 1
    assert row["days_since_contact"] == pytest.approx(20.5, abs=0.01)  # the note, ~20.5 days before T's end
    assert row["interactions_30d"] == 1
    assert row["campaign_touches_90d"] == 1
    assert row["purchases_90d"] == 1
    assert row["lifecycle_stage"] == 1  # growing
    assert set(FEATURES) <= set(row)


def test_a_new_customer_with_no_history_has_no_change_and_missing_values_where_unknown(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, aum=Decimal("2000"), opened_on=T - days(10), birth_date=None)

    row = features_of(customer.pk, current=True)

    assert row["aum"] == 2000  # scoring reads today's AUM
    assert row["aum_change_30d"] == 0
    assert row["aum_change_90d"] == 0
    assert math.isnan(row["days_since_contact"])
    assert math.isnan(row["days_to_maturity"])
    assert math.isnan(row["age_band"])
    assert row["lifecycle_stage"] == 0  # new
    assert row["wecom_relation"] == 0
    assert row["identity_verified"] == 0


def test_a_relation_the_customer_ended_before_the_day_counts_and_one_after_is_not_yet_known(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, opened_on=T - days(500))
    contact = ExternalContactFactory(customer=customer)
    FollowRelationFactory(
        contact=contact, staff=world.rm_bj, added_at=moment(T - days(100)), status="deleted",
        deleted_at=moment(T - days(3)), deleted_by="customer",
    )  # fmt: skip
    FollowRelationFactory(contact=contact, staff=world.rm_bj2, added_at=moment(T - days(50)))

    before = features_of(customer.pk)
    earlier = features_of(customer.pk, as_of=T - days(10))

    assert (before["relation_deleted"], before["wecom_relation"]) == (1, 1)
    assert (earlier["relation_deleted"], earlier["wecom_relation"]) == (0, 1)


LABEL = ChurnLabel(horizon_days=60, aum_floor=1000)


def test_the_label_is_aum_under_the_floor_or_a_relation_ended_within_the_horizon(world: World) -> None:
    fell = CustomerFactory(owner=world.rm_bj)
    fell_late = CustomerFactory(owner=world.rm_bj)
    ended = CustomerFactory(owner=world.rm_bj)
    stayed = CustomerFactory(owner=world.rm_bj)
    already_gone = CustomerFactory(owner=world.rm_bj)
    for customer in (fell, fell_late, ended, stayed):
        AumSnapshot.objects.create(customer=customer, as_of=T - days(30), aum=Decimal("50000"))
    AumSnapshot.objects.create(customer=fell, as_of=T + days(40), aum=Decimal("999"))
    AumSnapshot.objects.create(customer=fell_late, as_of=T + days(61), aum=Decimal("10"))
    AumSnapshot.objects.create(customer=stayed, as_of=T + days(40), aum=Decimal("1000"))
    AumSnapshot.objects.create(customer=already_gone, as_of=T - days(30), aum=Decimal("500"))
    FollowRelationFactory(
        contact=ExternalContactFactory(customer=ended), staff=world.rm_bj, added_at=moment(T - days(100)),
        status="deleted", deleted_at=moment(T + days(10)), deleted_by="staff",
    )  # fmt: skip
    ids = [c.pk for c in (fell, fell_late, ended, stayed, already_gone)]

    frame = churn_features_for_range(low=min(ids), high=max(ids), as_of=T, label=LABEL)

    labels = dict(zip(frame["customer_id"], frame["left"], strict=True))
    assert labels == {fell.pk: True, fell_late.pk: False, ended.pk: True, stayed.pk: False}
