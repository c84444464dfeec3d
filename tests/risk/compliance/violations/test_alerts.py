"""Branch managers hear of high-severity violations and deletions in their subtree: one WeCom app message a window.

The message goes through the outbox and the sandbox's message/send over real HTTP.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from channels.contacts.services import relation_mark_deleted
from channels.models import DeletedBy, ExternalContact, FollowRelation, OutboundCall
from risk.compliance.models import ContentCategory
from risk.compliance.violations.models import (
    DeletionAlert,
    DeletionDirection,
    ManagerDigest,
    ManagerNotice,
)
from risk.compliance.violations.selectors import rm_figures
from risk.compliance.violations.services import manager_digests_send, violations_scan
from scrm.core.redis import redis_client
from scrm.org.models import Staff
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World
from tests.risk.compliance.violations.factories import chat_of, message_in
from tests.support.outbox import outbox_drain
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def wecom(world: World, sandbox: SandboxControl, settings) -> SandboxControl:
    """The product talks to the reset sandbox, which knows the Beijing branch manager."""
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    manager = world.branch_manager_bj
    sandbox.upsert_directory(users=[{"userid": manager.wecom_userid, "name": manager.name, "department": [1]}])
    SensitiveWordFactory(word="保本", category=ContentCategory.PROMISED_RETURN)
    SensitiveWordFactory(word="蠢货", category=ContentCategory.ABUSE)
    return sandbox


def _promise_by(rm: Staff, text: str = "保本") -> int:
    return violations_scan([message_in(chat_of(rm), text).pk])


def test_a_high_severity_violation_reaches_the_branch_manager_once_through_the_outbox(
    world: World, wecom: SandboxControl
) -> None:
    _promise_by(world.rm_bj)
    _promise_by(world.rm_sh)  # Shanghai: not the Beijing manager's
    _promise_by(world.rm_bj, "你这个蠢货")  # medium: no alert

    assert manager_digests_send(now=NOW) == 1
    assert manager_digests_send(now=NOW) == 0
    outbox_drain()
    outbox_drain()

    messages = wecom.app_messages(world.branch_manager_bj.wecom_userid)
    assert len(messages) == 1
    assert messages[0]["delivered"] is True
    assert "您辖内新增 1 条高风险违规、0 条删除好友记录" in messages[0]["content"]
    assert "/compliance/violations/" in messages[0]["content"]
    call = OutboundCall.objects.get(operation="message_send")
    assert (call.status, call.idempotency_key) == (
        "succeeded",
        f"compliance-digest:{world.branch_manager_bj.pk}:{ManagerDigest.objects.get().window}",
    )


def test_many_violations_make_one_digest_a_window_within_wecoms_per_member_limit(
    world: World, wecom: SandboxControl
) -> None:
    for _ in range(40):
        _promise_by(world.rm_bj)
    assert manager_digests_send(now=NOW) == 1

    _promise_by(world.rm_bj)
    assert manager_digests_send(now=NOW + timedelta(minutes=1)) == 0  # same window: it waits
    assert manager_digests_send(now=NOW + timedelta(minutes=10)) == 1
    outbox_drain()

    messages = wecom.app_messages(world.branch_manager_bj.wecom_userid)
    assert [m["delivered"] for m in messages] == [True, True]
    assert "新增 40 条高风险违规" in messages[0]["content"]
    assert "新增 1 条高风险违规" in messages[1]["content"]
    assert not ManagerNotice.objects.filter(digest__isnull=True).exists()


def test_every_manager_up_the_tree_is_told_and_nobody_else(world: World, wecom: SandboxControl) -> None:
    from tests.factories import StaffFactory, UserFactory

    sub_branch_head = StaffFactory(user=UserFactory(username="hd_head"), role="branch_manager", branch=world.bj_hd)
    sh_head = StaffFactory(user=UserFactory(username="sh_head"), role="branch_manager", branch=world.sh)
    _promise_by(world.rm_bj)

    assert set(ManagerNotice.objects.values_list("manager_id", flat=True)) == {
        world.branch_manager_bj.pk,
        sub_branch_head.pk,
    }
    assert sh_head.pk not in set(ManagerNotice.objects.values_list("manager_id", flat=True))


@override_settings(VIOLATION_MANAGER_ALERTS=False)
def test_manager_alerts_can_be_switched_off(world: World, wecom: SandboxControl) -> None:
    _promise_by(world.rm_bj)

    assert manager_digests_send(now=NOW) == 0
    assert not OutboundCall.objects.exists()


# --- Deletion alerts (删人提醒) ------------------------------------------------------------------


def _relation(world: World, external_userid: str = "wmDEL001") -> FollowRelation:
    contact = ExternalContact.objects.create(external_userid=external_userid, customer=world.customers_rm_bj[0])
    return FollowRelation.objects.create(
        contact=contact, userid=world.rm_bj.wecom_userid, staff=world.rm_bj, added_at=timezone.now()
    )


@pytest.mark.parametrize(
    ("by", "direction"),
    [
        (DeletedBy.STAFF, DeletionDirection.STAFF_DELETED_CUSTOMER),
        (DeletedBy.CUSTOMER, DeletionDirection.CUSTOMER_DELETED_STAFF),
    ],
)
def test_an_ended_relation_alerts_the_branch_manager_and_counts_for_the_rm(
    world: World, wecom: SandboxControl, django_capture_on_commit_callbacks, by: str, direction: str
) -> None:
    relation = _relation(world)

    with django_capture_on_commit_callbacks(execute=True):
        relation_mark_deleted(external_userid="wmDEL001", userid=world.rm_bj.wecom_userid, by=by, at=NOW)

    alert = DeletionAlert.objects.get()
    assert (alert.direction, alert.staff, alert.customer, alert.branch, alert.relation_id, alert.notify) == (
        direction,
        world.rm_bj,
        world.customers_rm_bj[0],
        world.bj_hd_1,
        relation.pk,
        True,
    )
    assert manager_digests_send(now=NOW) == 1
    outbox_drain()
    [message] = wecom.app_messages(world.branch_manager_bj.wecom_userid)
    assert "0 条高风险违规、1 条删除好友记录" in message["content"]
    [figures] = rm_figures(user=world.compliance.user)
    counted = (figures.deleted_customers, figures.deleted_by_customers)
    assert counted == ((1, 0) if by == DeletedBy.STAFF else (0, 1))


@override_settings(DELETION_ALERTS_CUSTOMER_DELETED_STAFF=False)
def test_a_direction_switched_off_is_recorded_and_counted_but_not_told(
    world: World, wecom: SandboxControl, django_capture_on_commit_callbacks
) -> None:
    _relation(world)

    with django_capture_on_commit_callbacks(execute=True):
        relation_mark_deleted(
            external_userid="wmDEL001", userid=world.rm_bj.wecom_userid, by=DeletedBy.CUSTOMER, at=NOW
        )

    assert DeletionAlert.objects.get().notify is False
    assert manager_digests_send(now=NOW) == 0
    assert rm_figures(user=world.compliance.user)[0].deleted_by_customers == 1


def test_a_transfer_or_a_replayed_deletion_makes_no_alert(
    world: World, wecom: SandboxControl, django_capture_on_commit_callbacks
) -> None:
    _relation(world, "wmMOVED")
    _relation(world, "wmTWICE")

    with django_capture_on_commit_callbacks(execute=True):
        relation_mark_deleted(external_userid="wmMOVED", userid=world.rm_bj.wecom_userid, by=DeletedBy.TRANSFER, at=NOW)
        relation_mark_deleted(external_userid="wmTWICE", userid=world.rm_bj.wecom_userid, by=DeletedBy.STAFF, at=NOW)
        relation_mark_deleted(external_userid="wmTWICE", userid=world.rm_bj.wecom_userid, by=DeletedBy.STAFF, at=NOW)

    assert list(DeletionAlert.objects.values_list("external_userid", flat=True)) == ["wmTWICE"]
    assert ManagerNotice.objects.count() == 1


def test_deletions_outside_a_managers_subtree_are_not_theirs(world: World, client_for) -> None:
    from risk.compliance.violations.services import DeletionFacts, deletion_alert_record

    facts = DeletionFacts(
        relation_id=1,
        deleted_by="staff",
        userid=world.rm_sh.wecom_userid or "",
        external_userid="wmSH",
        staff_id=world.rm_sh.pk,
        customer_id=None,
        deleted_at=NOW,
    )
    deletion_alert_record(facts=facts)
    deletion_alert_record(facts=facts)

    assert DeletionAlert.objects.count() == 1
    assert not ManagerNotice.objects.exists()
    assert rm_figures(user=world.branch_manager_bj.user) == []
    assert client_for("branch_manager").get("/api/risk/compliance/violations/figures/").json() == []
