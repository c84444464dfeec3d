"""Editing the customer in the chat: manual tags on and off, notes, each on the timeline."""

import pytest
from django.test import Client

from channels.models import ExternalContact
from customers.models import CustomerTag, Tag, TagKind, TimelineEvent, TimelineKind
from customers.tagging.services import tag_create, tag_group_create
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(db: None) -> dict[str, Tag]:
    interests = tag_group_create(code="interests", name="兴趣偏好")
    traits = tag_group_create(code="traits", name="客户特征")
    return {
        "golf": tag_create(group=interests, code="golf", name="高尔夫"),
        "silver": tag_create(group=traits, code="silver", name="银发客群", kind=TagKind.RULE),
    }


@pytest.fixture
def contact(world: World) -> ExternalContact:
    contact = ExternalContactFactory(customer=world.customers_rm_bj[0])
    FollowRelationFactory(contact=contact, staff=world.rm_bj)
    return contact


def _post(client: Client, contact: ExternalContact, what: str, data: dict[str, str]):
    return client.post(f"/sidebar/contact/{contact.external_userid}/{what}/", data)


def test_an_rm_adds_then_removes_a_manual_tag_and_the_timeline_says_so(
    world: World, contact: ExternalContact, tags: dict[str, Tag], client_for
) -> None:
    client = client_for("rm")

    added = _post(client, contact, "tags", {"op": "add", "tag": "golf"})

    assert added.status_code == 200
    assert [tag.code for tag in added.context["card"].customer.tags] == ["golf"]
    link = CustomerTag.objects.get(customer=contact.customer)
    assert (link.tag.code, link.source, link.created_by) == ("golf", TagKind.MANUAL, world.rm_bj)

    removed = _post(client, contact, "tags", {"op": "remove", "tag": "golf"})

    assert removed.status_code == 200
    assert removed.context["card"].customer.tags == []
    assert not CustomerTag.objects.filter(customer=contact.customer).exists()
    events = TimelineEvent.objects.filter(customer=contact.customer).order_by("id")
    assert [(event.kind, event.summary, event.actor) for event in events] == [
        (TimelineKind.TAGGED, "高尔夫", world.rm_bj),
        (TimelineKind.UNTAGGED, "高尔夫", world.rm_bj),
    ]


@pytest.mark.parametrize("tag", ["silver", "no-such-tag"])
def test_only_manual_tags_are_edited_and_a_refusal_changes_nothing(
    contact: ExternalContact, tags: dict[str, Tag], client_for, tag: str
) -> None:
    response = _post(client_for("rm"), contact, "tags", {"op": "add", "tag": tag})

    assert response.status_code == 400
    assert 'id="card-error"' in response.content.decode()
    assert not CustomerTag.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_compliance_reads_the_card_but_cannot_edit_it(
    contact: ExternalContact, tags: dict[str, Tag], client_for
) -> None:
    client = client_for("compliance")

    assert _post(client, contact, "tags", {"op": "add", "tag": "golf"}).status_code == 403
    assert _post(client, contact, "notes", {"text": "看过了"}).status_code == 403
    assert not CustomerTag.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_another_rm_cannot_tag_a_customer_outside_their_scope(
    world: World, contact: ExternalContact, tags: dict[str, Tag]
) -> None:
    client = Client()
    client.force_login(world.rm_sh.user)

    assert _post(client, contact, "tags", {"op": "add", "tag": "golf"}).status_code == 404
    assert not CustomerTag.objects.exists()


def test_a_note_goes_on_the_timeline_signed_by_the_rm(world: World, contact: ExternalContact, client_for) -> None:
    response = _post(client_for("rm"), contact, "notes", {"text": "  客户关注  三年定期  "})

    assert response.status_code == 200
    note = TimelineEvent.objects.get(customer=contact.customer)
    assert (note.kind, note.summary, note.actor, note.data) == (
        TimelineKind.NOTE,
        "客户关注 三年定期",
        world.rm_bj,
        {"source": "sidebar"},
    )
    assert [event.summary for event in response.context["card"].notes] == ["客户关注 三年定期"]


@pytest.mark.parametrize("text", ["", "   ", "长" * 201])
def test_an_empty_or_overlong_note_is_refused(contact: ExternalContact, client_for, text: str) -> None:
    response = _post(client_for("rm"), contact, "notes", {"text": text})

    assert response.status_code == 400
    assert not TimelineEvent.objects.exists()


def test_a_lead_has_no_customer_to_note_on(world: World, client_for) -> None:
    lead = ExternalContactFactory()
    FollowRelationFactory(contact=lead, staff=world.rm_bj)

    response = _post(client_for("rm"), lead, "notes", {"text": "想了解理财"})

    assert response.status_code == 400
    assert not TimelineEvent.objects.exists()
