"""DESIGN §4 flow 1, end to end over HTTP: the sandbox's customer scans a channel code, WeCom
calls back the live server, a real Celery worker welcomes, tags, stores the relation,
matches the customer and writes the timeline. Then the duplicates, deletions and the
nightly reconciliation that repairs callbacks WeCom never delivered.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from django.test import Client

from channels.callbacks import tasks as callback_tasks
from channels.codes.services import channel_code_create, channel_code_personal_link
from channels.contacts import tasks as contact_tasks
from channels.contacts.reconcile import contacts_reconcile_members
from channels.groups.services import groups_reconcile
from channels.models import (
    AssignmentStrategy,
    CallbackInbox,
    ChannelCode,
    ContactTransfer,
    ContactTransferStatus,
    CorpTag,
    CustomerGroup,
    DeletedBy,
    ExternalContact,
    FollowRelation,
    GroupMember,
    GroupStatus,
    InboxStatus,
    MatchMethod,
    RelationStatus,
)
from channels.outbox import tasks as outbox_tasks
from channels.transfers import tasks as transfer_tasks
from channels.transfers.services import transfer_results_poll
from customers.models import (
    Customer,
    CustomerTag,
    CustomerTransfer,
    Tag,
    TagGroup,
    TagKind,
    TimelineEvent,
    TimelineKind,
    TransferKind,
    TransferStatus,
)
from customers.transfers.services import customers_transfer
from scrm.core.redis import redis_client
from scrm.org.models import Staff
from scrm.pii import PiiKind, unseal
from tests.support.celery_worker import celery_worker, task_routed
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db(transaction=True)

WELCOME = "{name}您好，我是您的客户经理，很高兴为您服务。"


@pytest.fixture
def wecom_world(world, sandbox: SandboxControl, live_server, settings) -> Iterator[Any]:
    """The sandbox knows the world's RMs and calls back the live server; a worker processes the events."""
    # Redis outlives test runs: forget tokens and verification attempts of earlier ones.
    for pattern in ("wecom:*", "identity:verify:*"):
        for key in redis_client().scan_iter(pattern):
            redis_client().delete(key)
    config = sandbox.config()
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_RETRY_BACKOFF_SECONDS = 0.05
    sandbox.upsert_directory(
        users=[
            {"userid": staff.wecom_userid, "name": staff.name, "department": [1]}
            for staff in (world.rm_bj, world.rm_bj2, world.rm_sh)
        ]
    )
    sandbox.configure(callback_url=f"{live_server.url}/wecom/callback/")
    assert config["corp_id"] == settings.WECOM_CORP_ID
    with ExitStack() as stack:
        queue = stack.enter_context(celery_worker(WECOM_API_BASE_URL=sandbox.api_base_url))
        for task in (
            callback_tasks.callback_process_task,
            outbox_tasks.outbox_send_task,
            outbox_tasks.outbox_send_batch_task,
            contact_tasks.tags_mirror_task,
            transfer_tasks.transfers_start_task,
        ):
            stack.enter_context(task_routed(task, queue))
        yield world


def _wait_for(condition: Callable[[], Any], *, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the worker did not get there in time")


def _all_processed() -> bool:
    return not CallbackInbox.objects.exclude(status=InboxStatus.PROCESSED).exists()


def _channel_tag() -> Tag:
    group = TagGroup.objects.create(code="channel_source", name="渠道来源")
    return Tag.objects.create(group=group, code="poster", name="网点海报", kind=TagKind.CHANNEL)


def _code(world, *, strategy: str = AssignmentStrategy.FIXED) -> ChannelCode:
    return channel_code_create(
        actor=world.hq_admin,
        name="中关村网点海报",
        branch=world.rm_bj.branch,
        strategy=strategy,
        staff=[world.rm_bj] if strategy == AssignmentStrategy.FIXED else [],
        tags=[_channel_tag()],
        welcome_text=WELCOME,
    )


def test_a_scan_of_a_personal_code_ends_welcomed_tagged_matched_and_on_the_timeline(
    wecom_world, sandbox: SandboxControl
) -> None:
    world = wecom_world
    customer = world.customers_rm_bj[0]
    code = _code(world, strategy=AssignmentStrategy.OWNER)
    personal = channel_code_personal_link(code=code, customer=customer)

    scan = sandbox.scan(config_id=personal["config_id"], customer={"name": "张先生", "unionid": "union-zhang"})
    _wait_for(lambda: FollowRelation.objects.filter(contact__external_userid=scan["external_userid"]).exists())
    _wait_for(_all_processed)

    # Welcomed within WeCom's window, once, with the name filled in.
    [welcome] = sandbox.welcome_messages(scan["external_userid"])
    assert welcome["text"] == WELCOME.replace("{name}", "张先生")
    # The relation, attributed to the channel.
    relation = FollowRelation.objects.select_related("contact").get(contact__external_userid=scan["external_userid"])
    assert (relation.userid, relation.staff, relation.channel, relation.status) == (
        world.rm_bj.wecom_userid,
        world.rm_bj,
        code,
        RelationStatus.ACTIVE,
    )
    assert relation.welcomed_at is not None
    # Matched to the customer the personal code was made for.
    contact = relation.contact
    assert (contact.customer, contact.match_method, contact.unionid) == (
        customer,
        MatchMethod.PERSONAL_CODE,
        "union-zhang",
    )
    # Channel tags: locally on the customer, and in WeCom on the RM's view of the contact.
    tag = code.tags.get()
    assert CustomerTag.objects.filter(customer=customer, tag=tag, source=TagKind.CHANNEL).exists()
    wecom_tag_id = CorpTag.objects.get(tag=tag).wecom_tag_id

    def wecom_tags() -> list[str]:
        follows = sandbox.state()["follows"].values()
        return [t for row in follows if row["external_userid"] == scan["external_userid"] for t in row["tag_ids"]]

    assert _wait_for(lambda: wecom_tag_id in wecom_tags())
    # The relation remembers it carries the channel's tag, so the tag sync does not send it again.
    relation.refresh_from_db()
    assert relation.mirrored_tag_ids == [tag.pk]
    # The timeline says so.
    event = TimelineEvent.objects.get(customer=customer, kind=TimelineKind.WECOM_ADDED)
    assert event.data["channel"] == code.pk
    assert event.data["welcomed"] is True


def test_an_unknown_scanner_stays_a_lead_until_the_rm_notes_their_phone(wecom_world, sandbox: SandboxControl) -> None:
    world = wecom_world
    customer = world.customers_rm_bj[1]
    code = _code(world)

    scan = sandbox.scan(config_id=code.config_id, customer={"name": "李女士"})
    contact = _wait_for(lambda: ExternalContact.objects.filter(external_userid=scan["external_userid"]).first())
    _wait_for(_all_processed)
    assert contact.is_lead
    assert contact.tags.get().code == "poster"

    phone = unseal(customer.phone_cipher, kind=PiiKind.PHONE)
    sandbox.edit_contact(userid=world.rm_bj.wecom_userid, external_userid=scan["external_userid"], remark=f"李 {phone}")
    _wait_for(lambda: ExternalContact.objects.filter(pk=contact.pk, customer=customer).exists())

    contact.refresh_from_db()
    assert contact.match_method == MatchMethod.REMARK_PHONE
    relation = contact.relations.get()
    assert phone not in relation.remark
    assert relation.remark.endswith(phone[-4:])
    assert CustomerTag.objects.filter(customer=customer, tag__code="poster").exists()


def test_a_duplicate_callback_changes_nothing_twice(wecom_world, sandbox: SandboxControl) -> None:
    world = wecom_world
    customer = world.customers_rm_bj[0]
    code = _code(world, strategy=AssignmentStrategy.OWNER)
    personal = channel_code_personal_link(code=code, customer=customer)
    scan = sandbox.scan(config_id=personal["config_id"], customer={"name": "赵先生"})
    _wait_for(lambda: TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.WECOM_ADDED).exists())
    _wait_for(_all_processed)

    sandbox.redeliver(scan["callback"]["id"])
    sandbox.redeliver(scan["callback"]["id"])
    time.sleep(1.0)
    _wait_for(_all_processed)

    inbox = CallbackInbox.objects.get(change_type="add_external_contact")
    assert inbox.deliveries == 3
    assert FollowRelation.objects.count() == 1
    assert TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.WECOM_ADDED).count() == 1
    assert len(sandbox.welcome_messages(scan["external_userid"])) == 1
    assert len(sandbox.calls("externalcontact/send_welcome_msg")) == 1


def test_a_customer_deleting_their_rm_ends_the_relation_and_says_so(wecom_world, sandbox: SandboxControl) -> None:
    world = wecom_world
    customer = world.customers_rm_bj[0]
    code = _code(world, strategy=AssignmentStrategy.OWNER)
    personal = channel_code_personal_link(code=code, customer=customer)
    scan = sandbox.scan(config_id=personal["config_id"], customer={"name": "钱女士"})
    _wait_for(lambda: FollowRelation.objects.filter(contact__external_userid=scan["external_userid"]).exists())

    sandbox.customer_deletes_staff(userid=world.rm_bj.wecom_userid, external_userid=scan["external_userid"])
    relation = _wait_for(
        lambda: FollowRelation.objects.filter(
            contact__external_userid=scan["external_userid"], status=RelationStatus.DELETED
        ).first()
    )

    assert relation.deleted_by == DeletedBy.CUSTOMER
    assert relation.deleted_at is not None
    assert TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.WECOM_DELETED).count() == 1


def test_the_nightly_reconciliation_repairs_callbacks_wecom_never_delivered(
    wecom_world, sandbox: SandboxControl
) -> None:
    world = wecom_world
    code = _code(world)
    kept = sandbox.scan(config_id=code.config_id, customer={"name": "孙先生"})
    _wait_for(lambda: FollowRelation.objects.filter(contact__external_userid=kept["external_userid"]).exists())
    # WeCom drops the next two callbacks: a new add and a deletion.
    lost_add = sandbox.scan(config_id=code.config_id, customer={"name": "周女士"}, deliver=False)
    sandbox.customer_deletes_staff(
        userid=world.rm_bj.wecom_userid, external_userid=kept["external_userid"], deliver=False
    )
    group = sandbox.group_create(
        owner=world.rm_bj.wecom_userid, name="中关村理财沙龙", members=[lost_add["external_userid"]], deliver=False
    )
    _wait_for(_all_processed)

    outcome = contacts_reconcile_members([world.rm_bj.wecom_userid])
    groups = groups_reconcile()

    assert outcome == {"added": 1, "refreshed": 0, "ended": 1}
    repaired = FollowRelation.objects.get(contact__external_userid=lost_add["external_userid"])
    assert (repaired.status, repaired.channel) == (RelationStatus.ACTIVE, code)
    ended = FollowRelation.objects.get(contact__external_userid=kept["external_userid"])
    assert (ended.status, ended.deleted_by) == (RelationStatus.DELETED, DeletedBy.RECONCILIATION)
    assert groups == {"synced": 1, "dismissed": 0}
    stored = CustomerGroup.objects.get(chat_id=group["chat_id"])
    assert (stored.owner, stored.status) == (world.rm_bj, GroupStatus.ACTIVE)
    assert set(stored.members.values_list("member_id", flat=True)) >= {lost_add["external_userid"]}
    # Running it again changes nothing.
    assert contacts_reconcile_members([world.rm_bj.wecom_userid]) == {"added": 0, "refreshed": 1, "ended": 0}


def test_group_events_keep_groups_and_members_in_step(wecom_world, sandbox: SandboxControl) -> None:
    world = wecom_world
    code = _code(world)
    scan = sandbox.scan(config_id=code.config_id, customer={"name": "吴先生"})
    group = sandbox.group_create(owner=world.rm_bj.wecom_userid, name="沙龙群", members=[])
    sandbox.group_join(chat_id=group["chat_id"], external_userid=scan["external_userid"], join_scene=3)
    member = _wait_for(
        lambda: (
            CustomerGroup.objects.filter(chat_id=group["chat_id"], members__member_id=scan["external_userid"])
            .values_list("members__contact__external_userid", flat=True)
            .first()
        )
    )
    assert member == scan["external_userid"]

    sandbox.group_leave(chat_id=group["chat_id"], external_userid=scan["external_userid"])
    _wait_for(lambda: GroupMember.objects.filter(member_id=scan["external_userid"], left_at__isnull=False).exists())
    assert CustomerGroup.objects.get(chat_id=group["chat_id"]).member_count == 1  # the owner

    sandbox.group_dismiss(chat_id=group["chat_id"])
    _wait_for(lambda: CustomerGroup.objects.filter(chat_id=group["chat_id"], status=GroupStatus.DISMISSED).exists())


def test_the_welcome_message_carries_a_verification_link_the_customer_uses_to_authenticate(
    wecom_world, sandbox: SandboxControl, settings
) -> None:
    world = wecom_world
    customer = world.customers_rm_bj[2]
    code = channel_code_create(
        actor=world.hq_admin,
        name="理财沙龙",
        branch=world.rm_bj.branch,
        strategy=AssignmentStrategy.FIXED,
        staff=[world.rm_bj],
        welcome_text="{name}您好，请完成身份认证：{verify_link}",
    )
    scan = sandbox.scan(config_id=code.config_id, customer={"name": "郑女士"})
    _wait_for(lambda: sandbox.welcome_messages(scan["external_userid"]))
    [welcome] = sandbox.welcome_messages(scan["external_userid"])
    link = welcome["text"].split("：", 1)[1]
    assert link.startswith(f"{settings.PUBLIC_BASE_URL}/h5/verify/")
    _wait_for(lambda: ExternalContact.objects.filter(external_userid=scan["external_userid"]).exists())

    page = Client().post(
        link.removeprefix(settings.PUBLIC_BASE_URL),
        {"customer_no": customer.customer_no, "phone": unseal(customer.phone_cipher, kind=PiiKind.PHONE)},
    )

    assert page.status_code == 200
    contact = ExternalContact.objects.get(external_userid=scan["external_userid"])
    assert (contact.customer, contact.match_method) == (customer, MatchMethod.SELF_VERIFIED)


@pytest.mark.parametrize("accept", [True, False], ids=["accepted", "refused"])
def test_a_customer_transfer_moves_the_wecom_relation_and_reflects_wecoms_outcome(
    wecom_world, sandbox: SandboxControl, accept: bool
) -> None:
    world = wecom_world
    customer = world.customers_rm_bj[0]
    code = _code(world, strategy=AssignmentStrategy.OWNER)
    personal = channel_code_personal_link(code=code, customer=customer)
    scan = sandbox.scan(config_id=personal["config_id"], customer={"name": "冯先生"})
    _wait_for(lambda: FollowRelation.objects.filter(contact__external_userid=scan["external_userid"]).exists())

    # A customer's RM works at the customer's outlet: rm_bj2 joins rm_bj's first.
    Staff.objects.filter(pk=world.rm_bj2.pk).update(branch=world.bj_hd_1)
    world.rm_bj2.refresh_from_db()
    customers_transfer(
        customers=Customer.objects.filter(pk=customer.pk),
        to_staff=world.rm_bj2,
        kind=TransferKind.REASSIGN,
        reason="客户经理调岗",
        actor=world.branch_manager_bj,
    )
    # The worker records the move, then calls WeCom and marks the customer's transfer pending.
    _wait_for(
        lambda: (
            sandbox.calls("externalcontact/transfer_customer")
            and CustomerTransfer.objects.filter(customer=customer, status=TransferStatus.WECOM_PENDING).exists()
        )
    )
    move = ContactTransfer.objects.get()
    assert (move.handover_userid, move.takeover_userid, move.status) == (
        world.rm_bj.wecom_userid,
        world.rm_bj2.wecom_userid,
        ContactTransferStatus.PENDING,
    )
    transfer = CustomerTransfer.objects.get(customer=customer)
    assert transfer.status == TransferStatus.WECOM_PENDING
    assert len(sandbox.calls("externalcontact/transfer_customer")) == 1

    sandbox.transfer_outcome(external_userid=scan["external_userid"], accept=accept)
    if accept:
        assert transfer_results_poll() == 1
        move.refresh_from_db()
        assert (move.status, move.wecom_status) == (ContactTransferStatus.DONE, 1)
        old = _wait_for(
            lambda: FollowRelation.objects.filter(
                userid=world.rm_bj.wecom_userid, status=RelationStatus.DELETED
            ).first()
        )
        assert old.deleted_by == DeletedBy.TRANSFER
        expected = TransferStatus.DONE
    else:
        _wait_for(lambda: ContactTransfer.objects.filter(status=ContactTransferStatus.FAILED).exists())
        move.refresh_from_db()
        assert move.failure == "customer_refused"
        expected = TransferStatus.WECOM_FAILED
    transfer.refresh_from_db()
    assert transfer.status == expected
