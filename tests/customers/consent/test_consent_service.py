"""consent_set: the flag, its history, the timeline and the audit row change together, or nothing does."""

import pytest
from django.db import DatabaseError, transaction
from django.utils import translation

from customers.audit import CustomerAuditAction
from customers.consent.selectors import (
    consent_condition,
    consent_overview,
    consent_sql_condition,
    customers_with_consent,
)
from customers.consent.services import consent_set
from customers.models import ConsentPurpose, ConsentRecord, ConsentSource, Customer, TimelineEvent, TimelineKind
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def _nothing_written(customer: Customer) -> bool:
    return (
        not ConsentRecord.objects.filter(customer=customer).exists()
        and not TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.CONSENT_CHANGED).exists()
        and not AuditEvent.objects.filter(action=CustomerAuditAction.CONSENT).exists()
    )


def test_new_customers_have_service_consent_and_no_marketing_or_chat_archiving(world: World) -> None:
    customer = world.customers_rm_bj[0]
    customer.refresh_from_db()

    assert (customer.marketing_consent, customer.service_consent, customer.chat_archive_consent) == (
        False,
        True,
        False,
    )


def test_an_rm_records_an_opt_out_with_the_customers_words(world: World) -> None:
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)

    record = consent_set(
        customer_id=customer.pk,
        purpose="marketing",
        granted=False,
        source="rm",
        reason="  别再给我发理财广告了  ",
        actor=world.rm_bj,
    )

    assert record is not None
    assert (record.purpose, record.previous, record.granted, record.source, record.reason, record.actor) == (
        ConsentPurpose.MARKETING,
        True,
        False,
        ConsentSource.RM,
        "别再给我发理财广告了",
        world.rm_bj,
    )
    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.consent_at) == (False, None)
    event = TimelineEvent.objects.get(customer=customer, kind=TimelineKind.CONSENT_CHANGED)
    assert (event.summary, event.actor) == ("营销授权已撤回（客户经理录入）", world.rm_bj)
    assert event.data == {
        "purpose": "marketing",
        "previous": True,
        "granted": False,
        "source": "rm",
        "consent_record": record.pk,
    }
    audit = AuditEvent.objects.get(action=CustomerAuditAction.CONSENT)
    assert audit.actor_username == "rm"
    assert audit.data["customer_no"] == customer.customer_no
    assert (audit.data["previous"], audit.data["granted"]) == (True, False)
    assert "别再" not in str(audit.data), "the customer's own words stay in the consent history"


def test_giving_marketing_consent_stamps_the_moment(world: World) -> None:
    customer = world.customers_rm_bj[0]

    record = consent_set(customer_id=customer.pk, purpose="marketing", granted=True, source="self_service")

    customer.refresh_from_db()
    assert record is not None
    assert customer.marketing_consent is True
    assert customer.consent_at == record.recorded_at
    assert record.actor is None
    assert not AuditEvent.objects.filter(action=CustomerAuditAction.CONSENT).exists(), "no staff acted"


@pytest.mark.parametrize(
    ("purpose", "flag", "granted"),
    [("service", "service_consent", False), ("chat_archive", "chat_archive_consent", True)],
)
def test_each_purpose_has_its_own_flag(world: World, purpose: str, flag: str, granted: bool) -> None:
    customer = world.customers_rm_bj[0]

    consent_set(customer_id=customer.pk, purpose=purpose, granted=granted, source="wecom")

    customer.refresh_from_db()
    assert getattr(customer, flag) is granted
    assert customer.marketing_consent is False


def test_an_unchanged_value_writes_nothing(world: World) -> None:
    customer = world.customers_rm_bj[0]

    assert consent_set(customer_id=customer.pk, purpose="marketing", granted=False, source="self_service") is None
    assert _nothing_written(customer)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"purpose": "newsletter"}, "未知"),
        ({"source": "carrier_pigeon"}, "未知"),
        ({"source": "import"}, "导入"),
        ({"reason": ""}, "客户的原话"),
        ({"reason": "   "}, "客户的原话"),
        ({"reason": "不要\u202e广告"}, "U+202E"),
        ({"reason": "不要\x00广告"}, "U+0000"),
        ({"reason": "太" * 201}, "200"),
        ({"actor": None}, "员工"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(world: World, arguments: dict, message: str) -> None:
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
    call = {
        "customer_id": customer.pk,
        "purpose": "marketing",
        "granted": False,
        "source": "rm",
        "reason": "不要了",
        "actor": world.rm_bj,
    } | arguments

    with pytest.raises(ApplicationError) as refused:
        consent_set(**call)

    assert message in refused.value.message
    customer.refresh_from_db()
    assert customer.marketing_consent is True
    assert _nothing_written(customer)


def test_the_customers_own_sources_take_no_staff_actor(world: World) -> None:
    customer = world.customers_rm_bj[0]

    with pytest.raises(ApplicationError):
        consent_set(
            customer_id=customer.pk, purpose="marketing", granted=True, source="self_service", actor=world.rm_bj
        )

    assert _nothing_written(customer)


@pytest.mark.parametrize(
    ("actor", "customer", "status"),
    [
        ("compliance", "rm_bj", 403),  # reads only
        ("rm_bj", "pool", 403),  # visible to the RM, but not theirs
        ("rm_bj", "rm_sh", 404),  # outside the RM's scope: as if it did not exist
        ("branch_manager_bj", "rm_sh", 404),
    ],
)
def test_staff_record_consent_only_where_they_may(world: World, actor: str, customer: str, status: int) -> None:
    target = world.pool_customer_bj_hd_1 if customer == "pool" else getattr(world, f"customers_{customer}")[0]

    with pytest.raises(ApplicationError) as refused:
        consent_set(
            customer_id=target.pk,
            purpose="marketing",
            granted=True,
            source="admin" if actor != "rm_bj" else "rm",
            actor=getattr(world, actor),
        )

    assert refused.value.status_code == status
    assert _nothing_written(target)


def test_a_branch_manager_records_consent_for_a_customer_in_the_branch(world: World) -> None:
    customer = world.customers_rm_bj2[0]

    record = consent_set(
        customer_id=customer.pk, purpose="marketing", granted=True, source="admin", actor=world.branch_manager_bj
    )

    assert record is not None
    assert record.source == ConsentSource.ADMIN


def test_the_history_is_append_only_in_the_database(world: World) -> None:
    record = consent_set(customer_id=world.customers_rm_bj[0].pk, purpose="marketing", granted=True, source="wecom")
    assert record is not None

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).update(granted=False)


# --- Reading --------------------------------------------------------------------------------


def test_the_audience_filter_keeps_only_customers_with_that_consent(world: World) -> None:
    given, other = world.customers_rm_bj[0], world.customers_rm_bj[1]
    consent_set(customer_id=given.pk, purpose="marketing", granted=True, source="self_service")
    consent_set(customer_id=other.pk, purpose="service", granted=False, source="self_service")
    scoped = Customer.objects.visible_to(world.rm_bj.user)

    assert list(customers_with_consent(scoped, purpose="marketing")) == [given]
    assert set(scoped.filter(consent_condition(purpose="service"))) == set(scoped) - {other}
    assert consent_sql_condition(purpose="chat_archive", alias="U0") == "U0.chat_archive_consent"
    with pytest.raises(ApplicationError):
        consent_condition(purpose="newsletter")


def test_the_overview_shows_the_flags_and_history_newest_first_within_the_scope(world: World) -> None:
    customer = world.customers_rm_bj[0]
    consent_set(customer_id=customer.pk, purpose="marketing", granted=True, source="self_service")
    consent_set(
        customer_id=customer.pk, purpose="marketing", granted=False, source="rm", reason="不要", actor=world.rm_bj
    )

    overview = consent_overview(customer_no=customer.customer_no, viewer=world.compliance.user)

    assert [(flag.purpose, flag.granted) for flag in overview.current] == [
        ("marketing", False),
        ("service", True),
        ("chat_archive", False),
    ]
    assert [(record.granted, record.source) for record in overview.history] == [(False, "rm"), (True, "self_service")]
    with pytest.raises(Customer.DoesNotExist):
        consent_overview(customer_no=customer.customer_no, viewer=world.rm_sh.user)
