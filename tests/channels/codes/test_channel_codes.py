"""Channel codes against the WeCom sandbox: creation, rotation, validation, scope, personal codes, figures."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from channels.audit import ChannelAuditAction
from channels.codes.forms import ChannelCodeForm
from channels.codes.selectors import channel_code_stats
from channels.codes.services import (
    ChannelCodeForbiddenError,
    channel_code_activate_pending,
    channel_code_after_add,
    channel_code_create,
    channel_code_deactivate,
    channel_code_for_state,
    channel_code_is_valid,
    channel_code_personal_link,
    channel_code_update,
    customer_for_state,
    welcome_message_for,
)
from channels.models import (
    AssignmentStrategy,
    ChannelCode,
    ExternalContact,
    FollowRelation,
    OutboundCall,
    RelationStatus,
)
from customers.models import Tag, TagKind
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch
from tests.conftest import World

pytestmark = pytest.mark.django_db


def applied(sandbox, api):
    """The calls to ``api`` WeCom accepted (a refused token shows up as a call too)."""
    return [call for call in sandbox.calls(f"externalcontact/{api}") if call["errcode"] == 0]


def way(sandbox, config_id):
    return sandbox.state()["contact_ways"].get(config_id)


def test_a_fixed_code_creates_its_contact_way_in_wecom(wecom, world: World, channel_tags) -> None:
    code = channel_code_create(
        actor=world.hq_admin,
        name="中关村大堂",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        staff=[world.rm_bj, world.rm_bj2],
        tags=channel_tags[:1],
        welcome_text="您好 {name}",
        skip_verify=False,
    )

    assert code.is_active
    assert code.config_id
    assert code.qr_code
    assert code.state.startswith("ch")
    assert len(code.state) <= 30
    created = way(wecom, code.config_id)
    assert created["user"] == [world.rm_bj.wecom_userid, world.rm_bj2.wecom_userid]
    assert created["state"] == code.state
    assert created["skip_verify"] is False
    assert created["remark"] == "中关村大堂"
    assert created["qr_code"] == code.qr_code
    assert list(code.tags.all()) == channel_tags[:1]
    call = OutboundCall.objects.get(idempotency_key=f"contact_way:add:{code.state}")
    assert call.status == "succeeded"
    audit = AuditEvent.objects.get(action=ChannelAuditAction.CHANNEL_CODE, target_id=str(code.pk))
    assert audit.actor_id == world.hq_admin.user_id
    assert audit.data["event"] == "created"
    assert audit.data["staff"] == sorted([world.rm_bj.employee_no, world.rm_bj2.employee_no])


def test_round_robin_moves_the_contact_way_to_the_next_rm_after_each_add(
    wecom, world: World, django_capture_on_commit_callbacks
) -> None:
    code = channel_code_create(
        actor=world.branch_manager_bj, name="海淀轮询", branch=world.bj_hd, strategy=AssignmentStrategy.ROUND_ROBIN
    )
    first, second = sorted([world.rm_bj, world.rm_bj2], key=lambda staff: staff.pk)
    assert way(wecom, code.config_id)["user"] == [first.wecom_userid]

    scanned = wecom.scan(config_id=code.config_id, customer={"name": "王女士"})
    assert scanned["userid"] == first.wecom_userid
    with django_capture_on_commit_callbacks(execute=True):
        channel_code_after_add(code=code, userid=scanned["userid"])

    assert way(wecom, code.config_id)["user"] == [second.wecom_userid]
    assert ChannelCode.objects.get(pk=code.pk).next_assignee == 1

    # The same add reported again (a redelivered event) does not rotate a second time.
    with django_capture_on_commit_callbacks(execute=True):
        channel_code_after_add(code=code, userid=scanned["userid"])
    assert way(wecom, code.config_id)["user"] == [second.wecom_userid]
    assert ChannelCode.objects.get(pk=code.pk).next_assignee == 1
    assert len(applied(wecom, "update_contact_way")) == 1

    scanned = wecom.scan(config_id=code.config_id, customer={"name": "李先生"})
    assert scanned["userid"] == second.wecom_userid
    with django_capture_on_commit_callbacks(execute=True):
        channel_code_after_add(code=code, userid=scanned["userid"])
    assert way(wecom, code.config_id)["user"] == [first.wecom_userid]
    assert OutboundCall.objects.filter(idempotency_key__startswith=f"contact_way:rotate:{code.pk}:").count() == 2


def test_a_fixed_code_does_not_rotate(wecom, world: World, django_capture_on_commit_callbacks) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="固定", branch=world.bj, strategy=AssignmentStrategy.FIXED, staff=[world.rm_bj]
    )
    with django_capture_on_commit_callbacks(execute=True):
        channel_code_after_add(code=code, userid=world.rm_bj.wecom_userid)

    assert ChannelCode.objects.get(pk=code.pk).next_assignee == 0
    assert applied(wecom, "update_contact_way") == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"strategy": AssignmentStrategy.FIXED, "staff": []}, "staff"),
        ({"name": "  "}, "name"),
        ({"welcome_text": "您好 {nickname}"}, "welcome_text"),
        ({"welcome_text": "x" * 4001}, "welcome_text"),
        ({"welcome_attachments": [{"msgtype": "link", "title": "t", "url": "https://a"}] * 10}, "welcome_attachments"),
        ({"welcome_attachments": [{"msgtype": "video"}]}, "welcome_attachments"),
        (
            {"welcome_attachments": [{"msgtype": "link", "title": "t", "url": "javascript:alert(1)"}]},
            "welcome_attachments",
        ),
        ({"welcome_attachments": [{"msgtype": "image"}]}, "welcome_attachments"),
        ({"welcome_attachments": [{"msgtype": "miniprogram", "title": "t", "appid": "wx1"}]}, "welcome_attachments"),
        ({"valid_from": timezone.now(), "valid_until": timezone.now() - timedelta(days=1)}, "valid_until"),
    ],
)
def test_invalid_input_is_refused_with_the_reason_and_changes_nothing(wecom, world: World, overrides, field) -> None:
    arguments = {"name": "测试", "branch": world.bj, "strategy": AssignmentStrategy.ROUND_ROBIN, **overrides}

    with pytest.raises(ApplicationError) as refused:
        channel_code_create(actor=world.hq_admin, **arguments)

    assert refused.value.extra["field"] == field
    assert ChannelCode.objects.count() == 0
    assert OutboundCall.objects.count() == 0
    assert wecom.calls("externalcontact/add_contact_way") == []


def test_a_closed_branch_gets_no_new_code_and_is_not_offered(wecom, world: World) -> None:
    Branch.objects.filter(pk=world.bj_hd_2.pk).update(closed_at=timezone.now())
    world.bj_hd_2.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        channel_code_create(
            actor=world.hq_admin, name="五道口海报", branch=world.bj_hd_2, strategy=AssignmentStrategy.ROUND_ROBIN
        )

    assert refused.value.extra["field"] == "branch"
    assert "已撤销" in refused.value.message
    assert ChannelCode.objects.count() == 0
    offered = ChannelCodeForm(user=world.hq_admin.user).fields["branch"].queryset
    assert world.bj_hd_2 not in offered
    assert world.bj_hd_1 in offered


def test_only_active_channel_tags_go_on_a_code(wecom, world: World, channel_tags) -> None:
    manual = Tag.objects.create(group=channel_tags[0].group, code="vip", name="VIP", kind=TagKind.MANUAL)

    with pytest.raises(ApplicationError) as refused:
        channel_code_create(
            actor=world.hq_admin, name="x", branch=world.bj, strategy=AssignmentStrategy.ROUND_ROBIN, tags=[manual]
        )

    assert refused.value.extra["field"] == "tags"
    assert ChannelCode.objects.count() == 0


def test_a_branch_without_rms_on_wecom_cannot_have_a_round_robin_code(wecom, world: World) -> None:
    world.rm_sh.wecom_userid = None
    world.rm_sh.save()

    with translation.override("en"), pytest.raises(ApplicationError, match="no active RM"):
        channel_code_create(actor=world.hq_admin, name="x", branch=world.sh, strategy=AssignmentStrategy.ROUND_ROBIN)
    assert ChannelCode.objects.count() == 0


def test_a_branch_manager_manages_codes_of_their_own_subtree_only(wecom, world: World) -> None:
    with pytest.raises(ChannelCodeForbiddenError):
        channel_code_create(
            actor=world.branch_manager_bj, name="x", branch=world.sh, strategy=AssignmentStrategy.ROUND_ROBIN
        )
    with pytest.raises(ApplicationError) as refused:
        channel_code_create(
            actor=world.branch_manager_bj,
            name="x",
            branch=world.bj,
            strategy=AssignmentStrategy.FIXED,
            staff=[world.rm_sh],
        )
    assert refused.value.extra["employee_nos"] == [world.rm_sh.employee_no]
    with pytest.raises(ChannelCodeForbiddenError):
        channel_code_create(actor=world.rm_bj, name="x", branch=world.bj_hd_1, strategy=AssignmentStrategy.ROUND_ROBIN)
    assert ChannelCode.objects.count() == 0
    assert wecom.calls("externalcontact/add_contact_way") == []


def test_wecom_refusing_the_contact_way_leaves_nothing_behind(wecom, world: World) -> None:
    wecom.add_fault("externalcontact/add_contact_way", errcode=40003)

    with translation.override("en"), pytest.raises(ApplicationError, match="WeCom refused"):
        channel_code_create(actor=world.hq_admin, name="x", branch=world.bj, strategy=AssignmentStrategy.ROUND_ROBIN)

    assert ChannelCode.objects.count() == 0
    assert wecom.state()["contact_ways"] == {}


def test_a_code_wecom_did_not_confirm_stays_pending_until_retried(wecom, world: World) -> None:
    wecom.add_fault("externalcontact/add_contact_way", errcode=-1, times=2)

    with pytest.raises(ApplicationError) as pending:
        channel_code_create(actor=world.hq_admin, name="待定", branch=world.bj, strategy=AssignmentStrategy.ROUND_ROBIN)

    assert pending.value.extra["pending"] is True
    code = ChannelCode.objects.get()
    assert not code.is_active
    assert code.config_id == ""
    assert not channel_code_is_valid(code, timezone.now())

    channel_code_activate_pending(actor=world.hq_admin, code=code)

    code.refresh_from_db()
    assert code.is_active
    assert code.config_id
    assert way(wecom, code.config_id)["state"] == code.state
    assert len(wecom.state()["contact_ways"]) == 1


def test_update_changes_the_contact_way_and_is_audited(wecom, world: World) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="固定", branch=world.bj, strategy=AssignmentStrategy.FIXED, staff=[world.rm_bj]
    )

    channel_code_update(
        actor=world.branch_manager_bj,
        code=code,
        name="固定二",
        strategy=AssignmentStrategy.FIXED,
        staff=[world.rm_bj2],
        welcome_text="欢迎",
    )

    code.refresh_from_db()
    assert code.name == "固定二"
    assert code.welcome_text == "欢迎"
    assert way(wecom, code.config_id)["user"] == [world.rm_bj2.wecom_userid]
    audit = AuditEvent.objects.filter(action=ChannelAuditAction.CHANNEL_CODE, data__event="updated").get()
    assert audit.data["old"]["staff"] == [world.rm_bj.employee_no]
    assert audit.data["new"]["staff"] == [world.rm_bj2.employee_no]


def test_a_refused_update_changes_nothing(wecom, world: World) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="固定", branch=world.bj, strategy=AssignmentStrategy.FIXED, staff=[world.rm_bj]
    )
    wecom.add_fault("externalcontact/update_contact_way", errcode=40003)

    with pytest.raises(ApplicationError):
        channel_code_update(
            actor=world.hq_admin, code=code, name="新", strategy=AssignmentStrategy.FIXED, staff=[world.rm_bj2]
        )

    code.refresh_from_db()
    assert code.name == "固定"
    assert list(code.staff.all()) == [world.rm_bj]


def test_deactivating_deletes_the_contact_way_and_keeps_the_adds_attributed(wecom, world: World) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="活动", branch=world.bj, strategy=AssignmentStrategy.ROUND_ROBIN
    )
    config_id = code.config_id

    channel_code_deactivate(actor=world.branch_manager_bj, code=code)

    assert way(wecom, config_id) is None
    code.refresh_from_db()
    assert not code.is_active
    assert channel_code_for_state(code.state) == code
    assert not channel_code_is_valid(code, timezone.now())


def test_validity_window(world: World, wecom) -> None:
    now = timezone.now()
    code = channel_code_create(
        actor=world.hq_admin,
        name="限时",
        branch=world.bj,
        strategy=AssignmentStrategy.ROUND_ROBIN,
        valid_from=now + timedelta(days=1),
        valid_until=now + timedelta(days=2),
    )

    assert not channel_code_is_valid(code, now)
    assert channel_code_is_valid(code, now + timedelta(days=1, hours=1))
    assert not channel_code_is_valid(code, now + timedelta(days=2))


def test_welcome_message_fills_in_the_name_and_keeps_attachments(wecom, world: World) -> None:
    code = channel_code_create(
        actor=world.hq_admin,
        name="欢迎",
        branch=world.bj,
        strategy=AssignmentStrategy.ROUND_ROBIN,
        welcome_text="{name}您好，我是您的客户经理。<b>{name}</b>",
        welcome_attachments=[
            {"msgtype": "link", "title": "开户指南", "url": "https://bank.example/guide"},
            {"msgtype": "image", "image": {"media_id": "MEDIA"}},
        ],
    )

    text, attachments = welcome_message_for(code=code, contact_name="王女士")

    assert text == "王女士您好，我是您的客户经理。<b>王女士</b>"
    assert attachments == [
        {"msgtype": "link", "link": {"title": "开户指南", "url": "https://bank.example/guide"}},
        {"msgtype": "image", "image": {"media_id": "MEDIA"}},
    ]


def test_an_owner_code_makes_one_personal_code_per_customer_routed_to_their_rm(wecom, world: World) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="专属经理", branch=world.bj, strategy=AssignmentStrategy.OWNER
    )
    customer = world.customers_rm_bj[0]

    link = channel_code_personal_link(code=code, customer=customer)
    again = channel_code_personal_link(code=code, customer=customer)

    assert again == link
    assert link["userid"] == world.rm_bj.wecom_userid
    assert link["state"].startswith(code.state + ".")
    assert len(link["state"]) <= 30
    personal = way(wecom, link["config_id"])
    assert personal["user"] == [world.rm_bj.wecom_userid]
    assert personal["state"] == link["state"]
    assert len(applied(wecom, "add_contact_way")) == 2  # the code's own, and one personal

    scanned = wecom.scan(config_id=link["config_id"], customer={"name": "张三"})
    assert scanned["userid"] == world.rm_bj.wecom_userid
    assert channel_code_for_state(link["state"]) == code
    assert customer_for_state(link["state"]) == customer
    assert customer_for_state(code.state) is None
    assert customer_for_state(link["state"][:-1] + ("0" if link["state"][-1] != "0" else "1")) is None
    # The code's own QR falls back to round-robin among the branch's RMs.
    assert way(wecom, code.config_id)["user"] in ([world.rm_bj.wecom_userid], [world.rm_bj2.wecom_userid])


def test_personal_codes_only_for_owner_codes_and_customers_with_an_rm(wecom, world: World) -> None:
    owner_code = channel_code_create(
        actor=world.hq_admin, name="专属", branch=world.bj, strategy=AssignmentStrategy.OWNER
    )
    fixed = channel_code_create(
        actor=world.hq_admin, name="固定", branch=world.bj, strategy=AssignmentStrategy.FIXED, staff=[world.rm_bj]
    )

    with pytest.raises(ApplicationError):
        channel_code_personal_link(code=fixed, customer=world.customers_rm_bj[0])
    with pytest.raises(ApplicationError):
        channel_code_personal_link(code=owner_code, customer=world.pool_customer_bj_hd_1)


def _relation(contact: ExternalContact, code: ChannelCode, staff, *, added_at, deleted_at=None) -> FollowRelation:
    return FollowRelation.objects.create(
        contact=contact,
        userid=staff.wecom_userid,
        staff=staff,
        channel=code,
        state=code.state,
        added_at=added_at,
        status=RelationStatus.DELETED if deleted_at else RelationStatus.ACTIVE,
        deleted_at=deleted_at,
    )


def test_stats_count_adds_deletions_net_and_authenticated_by_day(wecom, world: World) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="统计", branch=world.bj, strategy=AssignmentStrategy.ROUND_ROBIN
    )
    day1 = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=3)
    day3 = day1 + timedelta(days=2)
    contacts = [ExternalContact.objects.create(external_userid=f"wm{i}", name=f"客户{i}") for i in range(3)]
    contacts[0].customer = world.customers_rm_bj[0]
    contacts[0].save()
    _relation(contacts[0], code, world.rm_bj, added_at=day1)
    _relation(contacts[1], code, world.rm_bj, added_at=day1, deleted_at=day3)
    _relation(contacts[2], code, world.rm_bj2, added_at=day3)

    stats = channel_code_stats(code)

    assert (stats.adds, stats.deletions, stats.net, stats.authenticated) == (3, 1, 2, 1)
    assert [(row.adds, row.deletions) for row in stats.by_day] == [(2, 0), (0, 0), (1, 1)]
    assert stats.by_day[0].day == timezone.localtime(day1).date()
    later = channel_code_stats(ChannelCode.objects.filter(pk=code.pk), since=day1 + timedelta(days=1))
    assert (later.adds, later.deletions, later.net, later.authenticated) == (1, 1, 0, 0)
