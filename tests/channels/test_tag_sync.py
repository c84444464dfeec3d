"""A tag change on a matched customer reaches their WeCom relations through the outbox, once."""

import pytest

from channels.contacts.tags import customer_wecom_tags_push
from channels.models import OutboundCall
from channels.sidebar.services import sidebar_tag_add
from customers.models import Tag, TagGroup, TagKind
from scrm.core.redis import redis_client
from tests.factories import ExternalContactFactory, FollowRelationFactory
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(world, sandbox: SandboxControl, settings):
    """The RM's customer, linked to a contact who has added the RM in the sandbox."""
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    rm = world.rm_bj
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name, "department": [1]}])
    [external_userid] = sandbox.seed_contacts([{"name": "王女士", "follow": [{"userid": rm.wecom_userid}]}])
    customer = world.customers_rm_bj[0]
    contact = ExternalContactFactory(external_userid=external_userid, customer=customer)
    FollowRelationFactory(contact=contact, staff=rm, userid=rm.wecom_userid)
    tag = Tag.objects.create(
        group=TagGroup.objects.create(code="interests_sync", name="兴趣"), code="golf_sync", name="高尔夫"
    )
    return customer, contact, tag


def _wecom_tags(sandbox: SandboxControl, external_userid: str) -> list[str]:
    return [
        t
        for row in sandbox.state()["follows"].values()
        if row["external_userid"] == external_userid
        for t in row["tag_ids"]
    ]


def test_a_tag_added_and_removed_is_mirrored_on_the_relation_once_per_change(linked, sandbox: SandboxControl) -> None:
    customer, contact, tag = linked

    assert customer_wecom_tags_push(customer_id=customer.pk, add=[tag.pk], remove=[], intent="change-1") == 1
    customer_wecom_tags_push(customer_id=customer.pk, add=[tag.pk], remove=[], intent="change-1")
    tag.refresh_from_db()
    assert _wecom_tags(sandbox, contact.external_userid) == [tag.wecom_tag_id]
    assert len(sandbox.calls("externalcontact/mark_tag")) == 1

    customer_wecom_tags_push(customer_id=customer.pk, add=[], remove=[tag.pk], intent="change-2")
    assert _wecom_tags(sandbox, contact.external_userid) == []
    assert OutboundCall.objects.filter(operation="mark_tag").count() == 2


def test_a_sidebar_tag_edit_hands_the_change_to_wecom_after_it_commits(
    linked, world, django_capture_on_commit_callbacks
) -> None:
    customer, contact, tag = linked
    Tag.objects.filter(pk=tag.pk).update(kind=TagKind.MANUAL)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sidebar_tag_add(contact=contact, tag_code=tag.code, actor=world.rm_bj)

    assert customer.tag_links.filter(tag=tag).exists()
    assert len(callbacks) == 1
