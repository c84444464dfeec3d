"""Tag changes from every source reach the customer's WeCom relations, once, on the dispatch queue.

Each test runs the chain a worker would: the tagging service publishes CustomerTagsChanged,
channels' subscriber enqueues the mirror task, the mirror submits mark_tag calls to the
outbox, and the outbox sends them to the sandbox over HTTP. The Celery hops run in this
process (``inline``); the queue each hop would take is asserted separately.
"""

from __future__ import annotations

import pytest
from celery import Task
from django.core.files import File

from channels.contacts import tasks as contact_tasks
from channels.models import CorpTag, FollowRelation, OutboundCall
from channels.outbox import tasks as outbox_tasks
from customers.imports.services import import_job_create, import_job_run
from customers.models import Customer, ImportKind, ImportMode, Tag, TagGroup, TagKind
from customers.tagging.services import customer_tags_assign, customer_tags_remove, tag_rule_run_start, tag_rule_save
from customers.tagging.tasks import tag_rule_range_evaluate_task
from scrm.celery import app
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.customers.imports.extracts import csv_write, customer_row
from tests.factories import CustomerFactory, ExternalContactFactory, FollowRelationFactory
from wecom_sandbox.client import SandboxControl
from workbench.sidebar.services import sidebar_tag_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline(monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks):
    """Run the mirror and outbox tasks in this process when they are enqueued, after each commit."""

    def run_inline(task: Task) -> None:
        monkeypatch.setattr(task, "delay", lambda *args, **kwargs: task.apply(args, kwargs).get())
        monkeypatch.setattr(
            task, "apply_async", lambda args=(), kwargs=None, **options: task.apply(args, kwargs or {}).get()
        )

    for task in (contact_tasks.tags_mirror_task, outbox_tasks.outbox_send_batch_task, tag_rule_range_evaluate_task):
        run_inline(task)
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def linked(world: World, sandbox: SandboxControl, settings) -> tuple[Customer, str]:
    """The RM's first customer, linked to a contact who has added the RM in the sandbox."""
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    rm = world.rm_bj
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name, "department": [1]}])
    [external_userid] = sandbox.seed_contacts([{"name": "王女士", "follow": [{"userid": rm.wecom_userid}]}])
    customer = world.customers_rm_bj[0]
    contact = ExternalContactFactory(external_userid=external_userid, customer=customer)
    FollowRelationFactory(contact=contact, staff=rm, userid=rm.wecom_userid)
    return customer, external_userid


@pytest.fixture
def golf() -> Tag:
    return Tag.objects.create(group=TagGroup.objects.create(code="interests", name="兴趣"), code="golf", name="高尔夫")


def _wecom_tag_names(sandbox: SandboxControl, external_userid: str) -> list[str]:
    state = sandbox.state()
    return sorted(
        state["tags"][tag_id]["name"]
        for row in state["follows"].values()
        if row["external_userid"] == external_userid
        for tag_id in row["tag_ids"]
    )


def test_a_bulk_tag_and_its_removal_show_up_on_the_contact_in_wecom(
    linked, golf: Tag, world: World, sandbox: SandboxControl, inline
) -> None:
    customer, external_userid = linked
    everyone_of_the_rm = Customer.objects.filter(owner=world.rm_bj)

    with inline():
        customer_tags_assign(customers=everyone_of_the_rm, tag=golf, actor=world.hq_admin)

    assert _wecom_tag_names(sandbox, external_userid) == ["高尔夫"]
    assert CorpTag.objects.filter(tag=golf).exists()
    # Three customers were tagged; one has a WeCom relation: one call.
    assert len(sandbox.calls("externalcontact/mark_tag")) == 1

    with inline():
        customer_tags_remove(customers=everyone_of_the_rm, tag=golf, actor=world.hq_admin)

    assert _wecom_tag_names(sandbox, external_userid) == []
    assert FollowRelation.objects.get(contact__customer=customer).mirrored_tag_ids == []


@pytest.fixture
def rich_rule(world: World) -> Tag:
    rich = Tag.objects.create(
        group=TagGroup.objects.create(code="tier", name="客户层级"), code="rich", name="高净值", kind=TagKind.RULE
    )
    tag_rule_save(tag=rich, definition={"field": "aum", "op": "gte", "value": 1_000_000}, actor=world.hq_admin)
    return rich


def test_a_rule_run_shows_up_in_wecom_and_running_it_again_sends_nothing(
    linked, rich_rule: Tag, sandbox: SandboxControl, inline
) -> None:
    customer, external_userid = linked
    Customer.objects.filter(pk=customer.pk).update(aum=2_000_000)

    with inline():
        tag_rule_run_start()
    assert _wecom_tag_names(sandbox, external_userid) == ["高净值"]

    with inline():
        tag_rule_run_start()

    assert OutboundCall.objects.filter(operation="mark_tag").count() == 1
    assert len(sandbox.calls("externalcontact/mark_tag")) == 1


def test_an_import_that_moves_a_customer_into_a_rule_tag_shows_up_in_wecom(
    linked, rich_rule: Tag, world: World, sandbox: SandboxControl, inline, settings, tmp_path
) -> None:
    customer, external_userid = linked
    settings.MEDIA_ROOT = tmp_path / "media"
    extract = csv_write(
        tmp_path / "customers.csv",
        [customer_row(1, owner=world.rm_bj.employee_no, customer_no=customer.customer_no, aum="3000000.00")],
    )

    with inline(), extract.open("rb") as handle:
        job = import_job_create(
            file=File(handle),
            original_name=extract.name,
            kind=ImportKind.CUSTOMERS,
            mode=ImportMode.VALID_ROWS,
            dry_run=False,
            actor=world.hq_admin,
            enqueue=False,
        )
        import_job_run(job_id=job.pk)

    assert customer.tag_links.filter(tag=rich_rule).exists()
    assert _wecom_tag_names(sandbox, external_userid) == ["高净值"]


def test_a_tag_change_on_a_customer_without_a_wecom_relation_sends_nothing(
    golf: Tag, world: World, sandbox: SandboxControl, inline, settings
) -> None:
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    unlinked = CustomerFactory(owner=world.rm_bj)

    with inline():
        customer_tags_assign(customers=Customer.objects.filter(pk=unlinked.pk), tag=golf, actor=world.hq_admin)

    assert unlinked.tag_links.filter(tag=golf).exists()
    assert not OutboundCall.objects.exists()
    assert sandbox.calls("externalcontact/mark_tag") == []


def test_a_sidebar_edit_and_identity_linking_reach_wecom_like_any_other_change(
    linked, golf: Tag, world: World, sandbox: SandboxControl, inline
) -> None:
    customer, external_userid = linked
    contact = FollowRelation.objects.get(contact__customer=customer).contact

    with inline():
        sidebar_tag_add(contact=contact, tag_code=golf.code, actor=world.rm_bj)

    assert _wecom_tag_names(sandbox, external_userid) == ["高尔夫"]


def test_a_customer_s_net_change_is_sent_once(linked, golf: Tag, world: World, sandbox: SandboxControl) -> None:
    from channels.contacts.tags import relation_tags_mirror

    customer, _external_userid = linked
    one = Customer.objects.filter(pk=customer.pk)
    customer_tags_assign(customers=one, tag=golf, actor=world.hq_admin)
    customer_tags_remove(customers=one, tag=golf, actor=world.hq_admin)
    customer_tags_assign(customers=one, tag=golf, actor=world.hq_admin)

    first = relation_tags_mirror(first_customer_id=customer.pk, last_customer_id=customer.pk)
    again = relation_tags_mirror(first_customer_id=customer.pk, last_customer_id=customer.pk)

    assert (first.relations, first.calls) == (1, 1)
    assert (again.relations, again.calls) == (0, 0)
    [call] = OutboundCall.objects.filter(operation="mark_tag")
    assert call.payload["add"] == [CorpTag.objects.get(tag=golf).wecom_tag_id]
    assert call.payload["remove"] == []


def test_a_relation_with_a_send_still_on_its_way_waits_for_it(linked, golf: Tag, world: World) -> None:
    from channels.contacts.tags import relation_tags_mirror

    customer, external_userid = linked
    relation = FollowRelation.objects.get(contact__customer=customer)
    OutboundCall.objects.create(
        idempotency_key="mark_tag:earlier",
        operation="mark_tag",
        payload={"userid": relation.userid, "external_userid": external_userid, "add": ["x"], "remove": []},
    )
    customer_tags_assign(customers=Customer.objects.filter(pk=customer.pk), tag=golf, actor=world.hq_admin)

    result = relation_tags_mirror(first_customer_id=customer.pk, last_customer_id=customer.pk)

    assert (result.relations, result.calls, result.deferred) == (0, 0, 1)
    relation.refresh_from_db()
    assert relation.mirrored_tag_ids == []


@pytest.mark.parametrize(
    ("task", "kwargs", "queue"),
    [
        ("channels.outbox_send", {"operation": "mark_tag"}, "dispatch"),
        ("channels.outbox_send_batch", {"operation": "mark_tag"}, "dispatch"),
        ("channels.outbox_send", {"operation": "send_welcome_msg"}, "realtime"),
        ("channels.outbox_send", {"operation": "transfer_customers"}, "dispatch"),
        ("channels.tags_mirror", {}, "dispatch"),
        ("channels.tags_mirror_all", {}, "dispatch"),
        ("channels.transfers_start", {}, "dispatch"),
        ("channels.callback_process", {}, "realtime"),
        ("channels.reconcile_contacts", {}, "bulk"),
        ("customers.tag_rule_range_evaluate", {}, "bulk"),
    ],
)
def test_each_task_runs_on_its_queue(task: str, kwargs: dict[str, str], queue: str) -> None:
    route = app.amqp.router.route({}, task, args=(), kwargs=kwargs)

    assert route["queue"].name == queue


def test_a_tag_wecom_cannot_name_now_is_left_for_a_later_sync(
    linked, golf: Tag, world: World, sandbox: SandboxControl, settings
) -> None:
    from channels.contacts.tags import relation_tags_mirror

    customer, _external_userid = linked
    customer_tags_assign(customers=Customer.objects.filter(pk=customer.pk), tag=golf, actor=world.hq_admin)
    settings.WECOM_API_BASE_URL = "http://127.0.0.1:9/cgi-bin/"  # nothing listens: WeCom is unreachable
    settings.WECOM_RETRY_BACKOFF_SECONDS = 0.01
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)

    unreachable = relation_tags_mirror(first_customer_id=customer.pk, last_customer_id=customer.pk)

    assert (unreachable.relations, unreachable.calls) == (0, 0)
    assert not CorpTag.objects.filter(tag=golf).exists()

    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    later = relation_tags_mirror(first_customer_id=customer.pk, last_customer_id=customer.pk)

    assert (later.relations, later.calls) == (1, 1)
