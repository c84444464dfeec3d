"""Bulk tagging a search result: count first, then a resumable job on the bulk queue, in scope and audited."""

import datetime

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains

from customers.audit import CustomerAuditAction
from customers.models import Customer, CustomerTag, JobStatus, Tag, TagBulkJob, TagBulkJobCustomer, TimelineEvent
from customers.tagging.services import (
    customer_tags_assign,
    tag_active_set,
    tag_bulk_job_run,
    tag_bulk_job_sweep,
    tag_create,
    tag_group_create,
)
from scrm.audit.models import AuditEvent
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(world: World) -> dict[str, Tag]:
    interests = tag_group_create(name="兴趣爱好", actor=world.hq_admin)
    tiers = tag_group_create(name="客户分层", exclusive=True, actor=world.hq_admin)
    return {
        "golf": tag_create(group=interests, name="高尔夫", actor=world.hq_admin),
        "gold": tag_create(group=tiers, name="金卡", actor=world.hq_admin),
        "platinum": tag_create(group=tiers, name="白金卡", actor=world.hq_admin),
        "rich": tag_create(group=interests, name="高净值", kind="rule", actor=world.hq_admin),
    }


def everyone_of(world: World, role: str):
    return Customer.objects.visible_to(world.staff_for(role).user)


def bulk(client, path: str, tag: Tag, action: str = "assign", **filters: str):
    return client.post(path, {"bulk_tag": tag.pk, "bulk_action": action, **filters})


@pytest.mark.parametrize("role", ["hq_admin", "branch_manager", "rm"])
def test_the_count_covers_only_the_customers_the_viewer_can_see(
    world: World, client_for, tags: dict[str, Tag], role: str
) -> None:
    visible = everyone_of(world, role)
    customer_tags_assign(customers=visible.filter(pk=visible.first().pk), tag=tags["golf"], actor=world.hq_admin)

    response = bulk(client_for(role), "/tags/bulk/preview/", tags["golf"], aum_min="0")

    total = visible.count()
    assertContains(response, f'data-changing="{total - 1}" data-selected="{total}"')
    assertContains(response, "确认并开始")
    assert CustomerTag.objects.count() == 1  # counting writes nothing
    assert not TagBulkJob.objects.exists()


def test_the_count_for_removal_is_of_those_carrying_the_tag(world: World, client_for, tags) -> None:
    two = everyone_of(world, "rm").order_by("id").values("id")[:2]
    customer_tags_assign(customers=Customer.objects.filter(id__in=two), tag=tags["golf"], actor=world.rm_bj)

    response = bulk(client_for("rm"), "/tags/bulk/preview/", tags["golf"], "remove", aum_min="0")

    assertContains(response, f'data-changing="2" data-selected="{everyone_of(world, "rm").count()}"')
    assertContains(response, "其中 2 位将被去掉标签“高尔夫”")


def test_confirming_freezes_the_selection_audits_and_enqueues_the_job(
    world: World, client_for, tags: dict[str, Tag], django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = bulk(client_for("rm"), "/tags/bulk/", tags["golf"], aum_min="0")

    job = TagBulkJob.objects.get()
    visible = set(everyone_of(world, "rm").values_list("id", flat=True))
    assert {customer.pk for customer in world.customers_rm_bj} <= visible
    assert not visible & {customer.pk for customer in world.customers_rm_sh + world.customers_rm_bj2}
    assert (job.status, job.selected, job.created_by_id) == (JobStatus.QUEUED, len(visible), world.rm_bj.pk)
    assert set(TagBulkJobCustomer.objects.values_list("customer_id", flat=True)) == visible
    assert len(callbacks) == 1  # the task, after the commit
    assertContains(response, 'data-job-status="queued"')
    assertContains(response, f'hx-get="/tags/bulk/{job.pk}/" hx-trigger="every 1s"')
    [row] = AuditEvent.objects.filter(action=CustomerAuditAction.BULK_TAGGING_STARTED)
    assert (row.actor_id, row.target_id, row.data["selected"]) == (world.rm_bj.user_id, str(job.pk), len(visible))
    assert not CustomerTag.objects.exists()  # the worker tags, not the request


def test_the_job_tags_in_chunks_reports_progress_and_runs_once(world: World, client_for, tags) -> None:
    client = client_for("hq_admin")
    bulk(client, "/tags/bulk/", tags["golf"], aum_min="0")
    job = TagBulkJob.objects.get()
    customer_tags_assign(
        customers=Customer.objects.filter(pk=world.customers_rm_sh[0].pk), tag=tags["golf"], actor=world.hq_admin
    )

    tag_bulk_job_run(job_id=job.pk, chunk_size=3)
    tag_bulk_job_run(job_id=job.pk, chunk_size=3)  # a duplicate task

    job.refresh_from_db()
    total = Customer.objects.count()
    assert (job.status, job.processed, job.tagged, job.untagged) == (JobStatus.SUCCEEDED, total, total - 1, 0)
    assert CustomerTag.objects.filter(tag=tags["golf"]).count() == total
    assert TimelineEvent.objects.filter(kind="tagged").count() == total
    assert not TagBulkJobCustomer.objects.exists()
    [finished] = AuditEvent.objects.filter(action=CustomerAuditAction.BULK_TAGGING_FINISHED)
    assert finished.data["tagged"] == total - 1
    progress = client.get(f"/tags/bulk/{job.pk}/")
    assertContains(progress, 'data-job-status="succeeded"')
    assertContains(progress, f"完成：新增 {total - 1} 个标签，去掉 0 个。")
    assert "every 1s" not in progress.content.decode()


def test_a_retried_job_resumes_after_the_last_chunk_it_committed(world: World, client_for, tags) -> None:
    bulk(client_for("hq_admin"), "/tags/bulk/", tags["golf"], aum_min="0")
    job = TagBulkJob.objects.get()
    first_two = sorted(TagBulkJobCustomer.objects.values_list("customer_id", flat=True))[:2]
    # As if a worker committed the first chunk and died.
    TagBulkJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, cursor=first_two[-1], processed=2)

    tag_bulk_job_run(job_id=job.pk, chunk_size=4)

    tagged = set(CustomerTag.objects.filter(tag=tags["golf"]).values_list("customer_id", flat=True))
    assert tagged == set(Customer.objects.values_list("id", flat=True)) - set(first_two)
    job.refresh_from_db()
    assert (job.status, job.processed) == (JobStatus.SUCCEEDED, Customer.objects.count())


def test_an_exclusive_group_swaps_the_customers_other_tag(world: World, client_for, tags) -> None:
    customer_tags_assign(customers=everyone_of(world, "rm"), tag=tags["gold"], actor=world.rm_bj)
    bulk(client_for("rm"), "/tags/bulk/", tags["platinum"], aum_min="0")

    tag_bulk_job_run(job_id=TagBulkJob.objects.get().pk)

    job, visible = TagBulkJob.objects.get(), everyone_of(world, "rm").count()
    assert (job.tagged, job.untagged) == (visible, visible)
    assert not CustomerTag.objects.filter(tag=tags["gold"]).exists()


def test_a_customer_who_left_the_starters_scope_is_not_tagged(world: World, client_for, tags) -> None:
    bulk(client_for("rm"), "/tags/bulk/", tags["golf"], aum_min="0")
    moved = world.customers_rm_bj[0]
    Customer.objects.filter(pk=moved.pk).update(owner=world.rm_sh, branch=world.sh_pd_1)

    tag_bulk_job_run(job_id=TagBulkJob.objects.get().pk)

    assert not CustomerTag.objects.filter(customer=moved).exists()
    assert CustomerTag.objects.count() == everyone_of(world, "rm").count()


def test_removing_in_bulk_takes_the_tag_off(world: World, client_for, tags) -> None:
    customer_tags_assign(customers=Customer.objects.all(), tag=tags["golf"], actor=world.hq_admin)
    bulk(client_for("branch_manager"), "/tags/bulk/", tags["golf"], "remove", aum_min="0")

    tag_bulk_job_run(job_id=TagBulkJob.objects.get().pk)

    seen_by_manager = set(everyone_of(world, "branch_manager").values_list("id", flat=True))
    left = set(CustomerTag.objects.values_list("customer_id", flat=True))
    assert left == set(Customer.objects.values_list("id", flat=True)) - seen_by_manager
    assert TagBulkJob.objects.get().untagged == len(seen_by_manager)


def test_a_tag_retired_meanwhile_stops_the_job_and_says_why(world: World, client_for, tags) -> None:
    client = client_for("hq_admin")
    bulk(client, "/tags/bulk/", tags["golf"], aum_min="0")
    tag_active_set(tag=tags["golf"], active=False, actor=world.hq_admin)

    job = TagBulkJob.objects.get()
    tag_bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not CustomerTag.objects.exists()
    assertContains(client.get(f"/tags/bulk/{job.pk}/"), "已中止：“高尔夫”已停用。")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"aum_min": "0"}, "请选择标签。"),
        ({"bulk_tag": "999999", "aum_min": "0"}, "请从启用中的手工标签里选择一个。"),
        ({"bulk_tag": "golf", "bulk_action": "burn", "aum_min": "0"}, "请选择打上还是去掉标签。"),
        ({"bulk_tag": "golf"}, "请先设置至少一个搜索条件"),
        ({"bulk_tag": "golf", "aum_min": "lots"}, "请先修正搜索条件。"),
        ({"bulk_tag": "golf", "tags_any": "不存在的标签"}, "没有名为“不存在的标签”的标签。"),
        ({"bulk_tag": "golf", "phone": "13999999999"}, "搜索结果中没有需要变更的客户。"),
        ({"bulk_tag": "rich", "aum_min": "0"}, "请从启用中的手工标签里选择一个。"),
    ],
)
def test_a_bad_request_is_explained_and_starts_nothing(
    world: World, client_for, tags: dict[str, Tag], data: dict[str, str], message: str
) -> None:
    if "bulk_tag" in data and data["bulk_tag"] in tags:
        data = {**data, "bulk_tag": str(tags[data["bulk_tag"]].pk)}
    data.setdefault("bulk_action", "assign")
    client = client_for("rm")

    for path in ("/tags/bulk/preview/", "/tags/bulk/"):
        response = client.post(path, data)
        assert response.status_code == 200  # an htmx partial with the reason
        assertContains(response, message)
    assert not TagBulkJob.objects.exists()
    assert not AuditEvent.objects.filter(action=CustomerAuditAction.BULK_TAGGING_STARTED).exists()


def test_compliance_cannot_tag_in_bulk(world: World, client_for, tags) -> None:
    client = client_for("compliance")

    assert bulk(client, "/tags/bulk/preview/", tags["golf"], aum_min="0").status_code == 403
    assert bulk(client, "/tags/bulk/", tags["golf"], aum_min="0").status_code == 403
    assert not TagBulkJob.objects.exists()


def test_only_the_starter_or_an_hq_admin_follows_a_job(world: World, client_for, tags) -> None:
    bulk(client_for("rm"), "/tags/bulk/", tags["golf"], aum_min="0")
    job = TagBulkJob.objects.get()

    assert client_for("rm").get(f"/tags/bulk/{job.pk}/").status_code == 200
    assert client_for("hq_admin").get(f"/tags/bulk/{job.pk}/").status_code == 200
    assert client_for("branch_manager").get(f"/tags/bulk/{job.pk}/").status_code == 404


def test_the_job_keeps_no_search_value(world: World, client_for, tags) -> None:
    CustomerFactory(owner=world.rm_bj, phone="13912345678")

    bulk(client_for("rm"), "/tags/bulk/", tags["golf"], phone="139 1234 5678")

    job = TagBulkJob.objects.get()
    assert job.selected == 1
    assert "1234" not in str(TagBulkJob.objects.filter(pk=job.pk).values().get())


def test_the_sweep_hands_on_a_job_whose_worker_went_silent_and_leaves_live_ones(world: World, client_for, tags) -> None:
    client = client_for("hq_admin")
    for _ in range(3):
        bulk(client, "/tags/bulk/", tags["golf"], aum_min="0")
    silent, live, fresh = TagBulkJob.objects.order_by("id")
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    TagBulkJob.objects.filter(pk=silent.pk).update(status=JobStatus.RUNNING, heartbeat_at=long_ago)
    TagBulkJob.objects.filter(pk=live.pk).update(status=JobStatus.RUNNING, heartbeat_at=timezone.now())

    assert tag_bulk_job_sweep() == [silent.pk]
    assert tag_bulk_job_sweep(queued_for=datetime.timedelta(0)) == [silent.pk, fresh.pk]
