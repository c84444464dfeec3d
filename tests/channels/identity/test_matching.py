"""Linking WeCom contacts to customers: by unionid, by the RM's remark phone, by hand; never on ambiguity."""

import pytest
from django.utils import timezone

from channels.audit import ChannelAuditAction
from channels.identity.services import contact_link, contact_link_manual, contact_match_automatically
from channels.models import ContactTag, ExternalContact, FollowRelation, MatchMethod
from customers.models import CustomerTag, Tag, TagGroup, TagKind, TimelineEvent, TimelineKind
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def contact(external_userid: str, *, unionid: str = "", customer=None, staff=None, remark: str = "") -> ExternalContact:
    row = ExternalContact.objects.create(
        external_userid=external_userid, name=f"微信{external_userid}", unionid=unionid, customer=customer
    )
    if staff is not None:
        FollowRelation.objects.create(
            contact=row, userid=staff.wecom_userid, staff=staff, remark=remark, added_at=timezone.now()
        )
    return row


def test_same_unionid_as_a_linked_contact_links_to_that_customer(world: World) -> None:
    customer = world.customers_rm_bj[0]
    contact("wm-old", unionid="U1", customer=customer)
    new = contact("wm-new", unionid="U1", staff=world.rm_bj2)

    assert contact_match_automatically(contact=new, remark_mobiles=[]) is True

    new.refresh_from_db()
    assert new.customer == customer
    assert new.match_method == MatchMethod.UNIONID
    assert new.matched_at is not None
    audit = AuditEvent.objects.get(action=ChannelAuditAction.IDENTITY_LINK, target_id=str(new.pk))
    assert audit.actor_username == "system"
    assert audit.data["customer_no"] == customer.customer_no
    assert audit.data["method"] == "unionid"
    assert TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.UPDATED).count() == 1


def test_unionid_shared_by_contacts_of_two_customers_links_nothing(world: World) -> None:
    contact("wm-a", unionid="U2", customer=world.customers_rm_bj[0])
    contact("wm-b", unionid="U2", customer=world.customers_rm_sh[0])
    new = contact("wm-c", unionid="U2")

    assert contact_match_automatically(contact=new, remark_mobiles=[]) is False
    new.refresh_from_db()
    assert new.customer is None


def test_a_remark_phone_of_exactly_one_customer_links_to_them(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_sh, phone="13912345678")
    new = contact("wm-p", staff=world.rm_sh)

    assert contact_match_automatically(contact=new, remark_mobiles=["+86 139-1234-5678"]) is True

    new.refresh_from_db()
    assert new.customer == customer
    assert new.match_method == MatchMethod.REMARK_PHONE
    audit = AuditEvent.objects.get(action=ChannelAuditAction.IDENTITY_LINK, target_id=str(new.pk))
    assert "13912345678" not in str(audit.data)


def test_a_mobile_in_a_stored_remark_also_counts(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13711112222")
    new = contact("wm-r", staff=world.rm_bj, remark="张总 13711112222 理财")

    assert contact_match_automatically(contact=new, remark_mobiles=[]) is True
    new.refresh_from_db()
    assert new.customer == customer


def test_a_phone_two_customers_share_links_nothing(world: World) -> None:
    CustomerFactory(owner=world.rm_bj, phone="13600000001")
    CustomerFactory(owner=world.rm_sh, phone="13600000001")
    new = contact("wm-amb", staff=world.rm_bj)

    assert contact_match_automatically(contact=new, remark_mobiles=["13600000001"]) is False
    new.refresh_from_db()
    assert new.customer is None
    assert not AuditEvent.objects.filter(action=ChannelAuditAction.IDENTITY_LINK).exists()


def test_two_phones_naming_different_customers_link_nothing(world: World) -> None:
    CustomerFactory(owner=world.rm_bj, phone="13600000002")
    CustomerFactory(owner=world.rm_bj, phone="13600000003")
    new = contact("wm-two", staff=world.rm_bj)

    assert contact_match_automatically(contact=new, remark_mobiles=["13600000002", "13600000003"]) is False


def test_an_unknown_phone_links_nothing(world: World) -> None:
    new = contact("wm-none", staff=world.rm_bj)

    assert contact_match_automatically(contact=new, remark_mobiles=["13000000000"]) is False


def test_linking_copies_the_contacts_channel_tags_onto_the_customer(world: World) -> None:
    group = TagGroup.objects.create(code="src", name="来源")
    channel = Tag.objects.create(group=group, code="ch-lobby", name="大堂", kind=TagKind.CHANNEL)
    customer = world.customers_rm_bj[1]
    new = contact("wm-t", staff=world.rm_bj)
    ContactTag.objects.create(contact=new, tag=channel)

    assert contact_link(contact=new, customer=customer, method=MatchMethod.PERSONAL_CODE) is True

    link = CustomerTag.objects.get(customer=customer, tag=channel)
    assert link.source == TagKind.CHANNEL
    assert TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.TAGGED, data__tag="ch-lobby").exists()


def test_linking_again_to_the_same_customer_changes_nothing(world: World) -> None:
    customer = world.customers_rm_bj[0]
    new = contact("wm-same", staff=world.rm_bj)
    assert contact_link(contact=new, customer=customer, method=MatchMethod.SELF_VERIFIED) is True
    events = AuditEvent.objects.count()

    assert contact_link(contact=new, customer=customer, method=MatchMethod.MANUAL, actor=world.hq_admin) is False

    new.refresh_from_db()
    assert new.match_method == MatchMethod.SELF_VERIFIED
    assert AuditEvent.objects.count() == events


def test_a_linked_contact_is_moved_only_by_an_hq_admin_by_hand(world: World) -> None:
    first, second = world.customers_rm_bj[0], world.customers_rm_bj[1]
    linked = contact("wm-move", customer=first, staff=world.rm_bj)

    with pytest.raises(ApplicationError):
        contact_link(contact=linked, customer=second, method=MatchMethod.REMARK_PHONE)
    with pytest.raises(ApplicationError):
        contact_link(contact=linked, customer=second, method=MatchMethod.MANUAL, actor=world.branch_manager_bj)
    linked.refresh_from_db()
    assert linked.customer == first

    assert contact_link(contact=linked, customer=second, method=MatchMethod.MANUAL, actor=world.hq_admin) is True
    linked.refresh_from_db()
    assert linked.customer == second
    audit = AuditEvent.objects.get(action=ChannelAuditAction.IDENTITY_LINK, target_id=str(linked.pk))
    assert audit.data["previous_customer_id"] == first.pk
    assert audit.actor_id == world.hq_admin.user_id


def test_manual_links_stay_within_the_actors_scope(world: World) -> None:
    lead = contact("wm-lead", staff=world.rm_bj)

    with pytest.raises(ApplicationError):
        contact_link_manual(
            actor=world.branch_manager_bj, contact=lead, customer_no=world.customers_rm_sh[0].customer_no
        )
    with pytest.raises(ApplicationError):
        contact_link_manual(actor=world.rm_bj, contact=lead, customer_no=world.customers_rm_bj[0].customer_no)
    lead.refresh_from_db()
    assert lead.customer is None

    assert contact_link_manual(
        actor=world.branch_manager_bj, contact=lead, customer_no=world.customers_rm_bj[0].customer_no
    )
    lead.refresh_from_db()
    assert lead.customer == world.customers_rm_bj[0]
    assert lead.match_method == MatchMethod.MANUAL
