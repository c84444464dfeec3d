"""Channels tells the apps above it when a WeCom follow relation ends (FollowRelationDeleted)."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from channels.contacts.events import FollowRelationDeleted
from channels.contacts.services import relation_mark_deleted
from channels.models import DeletedBy, ExternalContact, FollowRelation
from tests.conftest import World

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _events(callbacks: list) -> list[FollowRelationDeleted]:
    return [
        callback.args[1]
        for callback in callbacks
        if getattr(callback, "args", None) and isinstance(callback.args[1], FollowRelationDeleted)
    ]


def test_an_ended_relation_publishes_its_ids_and_who_ended_it(world: World, django_capture_on_commit_callbacks) -> None:
    customer = world.customers_rm_bj[0]
    contact = ExternalContact.objects.create(external_userid="wmGONE", customer=customer)
    relation = FollowRelation.objects.create(
        contact=contact, userid=world.rm_bj.wecom_userid, staff=world.rm_bj, added_at=timezone.now()
    )

    with django_capture_on_commit_callbacks() as callbacks:
        assert relation_mark_deleted(
            external_userid="wmGONE", userid=world.rm_bj.wecom_userid, by=DeletedBy.CUSTOMER, at=AT
        )

    [event] = _events(callbacks)
    assert event == FollowRelationDeleted(
        relation_id=relation.pk,
        userid=world.rm_bj.wecom_userid,
        external_userid="wmGONE",
        staff_id=world.rm_bj.pk,
        customer_id=customer.pk,
        deleted_by="customer",
        deleted_at=AT.isoformat(),
    )


def test_an_unknown_or_already_ended_relation_publishes_nothing(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert not relation_mark_deleted(external_userid="wmNONE", userid="nobody", by=DeletedBy.STAFF, at=AT)

    assert _events(callbacks) == []
