"""Reads for the sidebar: the contact in the chat, its customer 360 card, the JS-SDK config.

The hot path (DESIGN.md §6: p99 ≤ 50 ms at 100 clients on 10 M customers) is a handful of
indexed reads: the contact by its unique external userid (with the scope check and the
customer number in the same statement), the follow relations of that contact, and the four
reads of ``customer_360`` (customer by number, its tags, holdings and recent timeline).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, F, IntegerField, Value, When

from channels.models import ExternalContact, FollowRelation, RelationStatus
from channels.wecom.gateway import wecom
from customers.models import AumBand, Customer, LifecycleStage, Tag, TagKind
from customers.selectors import Customer360, customer_360
from customers.tagging.selectors import tags_list
from risk.churn.selectors import CustomerChurn, customer_churn_of_found
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for

# The JS-SDK calls the sidebar makes; each needs wx.agentConfig in WeCom.
JS_API_LIST = ["getContext", "getCurExternalContact", "sendChatMessage"]
# Who may change a customer's manual tags and add notes (compliance reads only).
EDITOR_ROLES = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})


@dataclass(frozen=True)
class FollowInfo:
    """One member's relation with the contact, as WeCom reported it."""

    userid: str
    staff_name: str | None
    remark: str
    added_at: datetime.datetime
    channel_name: str | None
    is_active: bool
    is_mine: bool


@dataclass(frozen=True)
class SidebarCard:
    """What the sidebar shows for the contact in the chat."""

    external_userid: str
    wechat_name: str
    avatar: str
    follow: FollowInfo | None
    # The customer 360 when the contact is linked to a customer the viewer may see.
    customer: Customer360 | None
    # Linked, but to a customer outside the viewer's scope: nothing of it is shown.
    customer_out_of_scope: bool
    stage_label: str
    aum_band_label: str
    # Tags on the contact itself (channel tags of a lead).
    contact_tags: list[Tag]
    # Manual tags the viewer may still put on the customer.
    addable_tags: list[Tag]
    can_edit: bool
    # The customer's churn score (risk), when the customer is in the viewer's scope.
    churn: CustomerChurn | None = None

    @property
    def is_lead(self) -> bool:
        return self.customer is None and not self.customer_out_of_scope

    @property
    def notes(self) -> list[Any]:
        return [event for event in self.customer.timeline if event.kind == "note"] if self.customer else []


def sidebar_contact_get(*, external_userid: str, user: AbstractBaseUser | AnonymousUser) -> ExternalContact:
    """The contact if the viewer may see it, with ``customer_no`` annotated; raises DoesNotExist.

    The customer number is an identifier, not the customer's data: the customer itself is
    read through ``customer_360``, inside the viewer's scope.
    """
    return (
        ExternalContact.objects.visible_to(user)
        .annotate(customer_no=F("customer__customer_no"))
        .only("id", "external_userid", "name", "avatar", "customer_id")
        .get(external_userid=external_userid)
    )


def _follow_info(*, contact: ExternalContact, user: AbstractBaseUser | AnonymousUser, userid: str) -> FollowInfo | None:
    """The viewer's own relation if there is one, else the oldest active one they may see."""
    relation = (
        FollowRelation.objects.visible_to(user)
        .filter(contact_id=contact.pk)
        .select_related("staff", "channel")
        .annotate(
            mine=Case(When(userid=userid, then=Value(0)), default=Value(1), output_field=IntegerField()),
            inactive=Case(
                When(status=RelationStatus.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by("mine", "inactive", "added_at")
        .first()
    )
    if relation is None:
        return None
    return FollowInfo(
        userid=relation.userid,
        staff_name=relation.staff.name if relation.staff else None,
        remark=relation.remark,
        added_at=relation.added_at,
        channel_name=relation.channel.name if relation.channel else None,
        is_active=relation.status == RelationStatus.ACTIVE,
        is_mine=relation.userid == userid,
    )


def sidebar_card(*, contact: ExternalContact, user: AbstractBaseUser | AnonymousUser, userid: str = "") -> SidebarCard:
    """The card for a contact found by ``sidebar_contact_get``; ``userid`` is the viewer's WeCom userid."""
    scope = data_scope_for(user)
    can_edit = scope is not None and scope.role in EDITOR_ROLES
    view: Customer360 | None = None
    out_of_scope = False
    customer_no = getattr(contact, "customer_no", None)
    if customer_no:
        try:
            view = customer_360(customer_no=customer_no, viewer=user)
        except Customer.DoesNotExist:
            out_of_scope = True
    addable: list[Tag] = []
    contact_tags: list[Tag] = []
    if view is not None:
        if can_edit:
            held = {tag.code for tag in view.tags}
            addable = [
                tag
                for tag in tags_list(kind=TagKind.MANUAL).filter(is_active=True).order_by("group__sort_order", "code")
                if tag.code not in held
            ]
    else:
        contact_tags = list(contact.tags.select_related("group").order_by("group__sort_order", "code"))
    return SidebarCard(
        external_userid=contact.external_userid,
        wechat_name=contact.name,
        avatar=contact.avatar,
        follow=_follow_info(contact=contact, user=user, userid=userid),
        customer=view,
        customer_out_of_scope=out_of_scope,
        stage_label=str(LifecycleStage(view.profile.lifecycle_stage).label) if view else "",
        aum_band_label=str(AumBand(view.aum_band).label) if view else "",
        contact_tags=contact_tags,
        addable_tags=addable,
        can_edit=can_edit and view is not None,
        churn=customer_churn_of_found(customer_no=view.profile.customer_no) if view else None,
    )


def sidebar_jssdk_config(*, url: str) -> dict[str, Any]:
    """What the page passes to ``wx.config`` (corp ticket) and ``wx.agentConfig`` (app ticket)."""
    gateway = wecom()
    corp = gateway.jssdk_signature(url=url, agent=False)
    app = gateway.jssdk_signature(url=url, agent=True)
    return {
        "config": {
            "beta": True,  # WeCom's own APIs (wx.invoke) need it
            "debug": False,
            "appId": corp.corp_id,
            "timestamp": corp.timestamp,
            "nonceStr": corp.nonce_str,
            "signature": corp.signature,
            "jsApiList": JS_API_LIST,
        },
        "agentConfig": {
            "corpid": app.corp_id,
            "agentid": app.agent_id,
            "timestamp": app.timestamp,
            "nonceStr": app.nonce_str,
            "signature": app.signature,
            "jsApiList": JS_API_LIST,
        },
    }
