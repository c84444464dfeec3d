"""Writes from the sidebar: signing a WeCom member in, tags and notes on the customer in the chat.

Tags and notes reuse the customers app's services, with the signed-in member as the actor,
so the timeline reads the same whether a change came from the dashboard or from a chat,
and a tag change reaches the customer's WeCom relations as every other tag change does.
"""

from __future__ import annotations

import logging

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from channels.models import ExternalContact
from channels.wecom.errors import WeComError
from channels.wecom.gateway import wecom
from customers.consent.services import consent_set
from customers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    Customer,
    Tag,
    TagKind,
    TimelineEvent,
)
from customers.selectors import customer_list_visible
from customers.tagging.selectors import tags_list
from customers.tagging.services import TaggingResult, customer_tags_assign, customer_tags_remove
from customers.timeline.services import customer_note_add
from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Role, Staff, StaffStatus
from scrm.org.sessions import session_confine_to_sidebar

logger = logging.getLogger(__name__)

_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Bank-wide roles sign in with their password only: a WeCom code is not enough for the whole bank.
SIDEBAR_SIGN_IN_ROLES = frozenset({Role.RM, Role.BRANCH_MANAGER})


class SidebarSignInError(ApplicationError):
    status_code = 403


def sidebar_sign_in(*, request: HttpRequest, code: str) -> Staff:
    """Sign the WeCom member behind an OAuth ``code`` in, as the dashboard's login does.

    Only an active RM or branch manager with that WeCom userid gets a session; every
    attempt, refused or not, is in the audit trail. The session is Django's, so the
    dashboard's idle expiry applies to it unchanged, but it is confined to the sidebar
    (``scrm.org.sessions``): elsewhere it counts as signed out.
    """
    try:
        userid = wecom().oauth_userid(code)
    except WeComError as error:
        logger.info("sidebar sign-in refused: WeCom did not accept the code errcode=%s", error.errcode)
        audit_record(
            actor=None,
            actor_username="wecom:?",
            action=AuditAction.LOGIN_FAILED,
            data={"via": "wecom_oauth", "reason": "code_refused"},
            request=request,
        )
        raise SidebarSignInError(
            _("WeCom did not confirm who you are. Close the sidebar and open it again.")
        ) from error
    staff = Staff.objects.select_related("user").filter(wecom_userid=userid).first()
    if staff is None or staff.status != StaffStatus.ACTIVE or not staff.user.is_active:
        audit_record(
            actor=None,
            actor_username=f"wecom:{userid}"[:150],
            action=AuditAction.LOGIN_FAILED,
            data={"via": "wecom_oauth", "reason": "unknown_member" if staff is None else "inactive_member"},
            request=request,
        )
        raise SidebarSignInError(
            _("Your WeCom account is not linked to an active member of staff. Ask your administrator.")
        )
    if staff.role not in SIDEBAR_SIGN_IN_ROLES:
        audit_record(
            actor=None,
            actor_username=f"wecom:{userid}"[:150],
            action=AuditAction.LOGIN_FAILED,
            data={"via": "wecom_oauth", "reason": "role_not_allowed"},
            request=request,
        )
        raise SidebarSignInError(
            _("HQ admins and compliance cannot sign in from the sidebar. Sign in to the dashboard with your password.")
        )
    login(request, staff.user, backend=_MODEL_BACKEND)
    session_confine_to_sidebar(request=request)
    audit_record(actor=staff.user, action=AuditAction.LOGIN, data={"via": "wecom_oauth"}, request=request)
    return staff


def _customer_of(*, contact: ExternalContact, staff: Staff) -> Customer:
    """The contact's customer, read through the member's scope; refuses a lead or a stranger."""
    if contact.customer_id is None:
        raise ApplicationError(_("This contact is not linked to a customer yet."))
    try:
        return customer_list_visible(user=staff.user).get(pk=contact.customer_id)
    except Customer.DoesNotExist as error:
        raise ApplicationError(_("This customer is outside your scope.")) from error


def _manual_tag(code: str) -> Tag:
    tag = tags_list(kind=TagKind.MANUAL).filter(code=code, is_active=True).first()
    if tag is None:
        raise ApplicationError(_("Only active manual tags can be changed here."), extra={"tag": code})
    return tag


@transaction.atomic
def sidebar_tag_add(*, contact: ExternalContact, tag_code: str, actor: Staff) -> TaggingResult:
    customer = _customer_of(contact=contact, staff=actor)
    tag = _manual_tag(tag_code)
    result = customer_tags_assign(
        customers=customer_list_visible(user=actor.user).filter(pk=customer.pk), tag=tag, actor=actor, reason="sidebar"
    )
    return result


@transaction.atomic
def sidebar_tag_remove(*, contact: ExternalContact, tag_code: str, actor: Staff) -> TaggingResult:
    customer = _customer_of(contact=contact, staff=actor)
    tag = _manual_tag(tag_code)
    result = customer_tags_remove(
        customers=customer_list_visible(user=actor.user).filter(pk=customer.pk), tag=tag, actor=actor, reason="sidebar"
    )
    return result


def sidebar_note_add(*, contact: ExternalContact, text: str, actor: Staff) -> TimelineEvent:
    """A note on the customer's timeline (客户动态), signed by the member."""
    return customer_note_add(
        customer=_customer_of(contact=contact, staff=actor), text=text, actor=actor, source="sidebar"
    )


def sidebar_marketing_consent_set(
    *, contact: ExternalContact, granted: bool, reason: str, actor: Staff
) -> ConsentRecord | None:
    """The member records that the customer in the chat opted out of marketing (or back in),
    with the customer's own words as the reason; None when it was already so."""
    customer = _customer_of(contact=contact, staff=actor)
    return consent_set(
        customer_id=customer.pk,
        purpose=ConsentPurpose.MARKETING,
        granted=granted,
        source=ConsentSource.RM,
        reason=reason,
        actor=actor,
    )
