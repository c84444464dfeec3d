"""Identity matching (客户认证): linking a WeCom external contact to the bank's customer.

Three ways in, strongest evidence first:

* automatic, when the contact is added or edited (``contact_match_automatically``):
  the same WeChat unionid as an already linked contact, or a phone number the RM
  noted in WeCom that belongs to exactly one customer; never on ambiguity;
* the customer proves it on the H5 page (``contact_verify_identity``): customer number
  and mobile phone must both match; rate-limited and audited attempt by attempt;
* staff link by hand (``contact_link_manual``): HQ admins and branch managers, within
  their scope, audited.

A link, once made, is not moved to another customer silently: only an HQ admin may
re-link by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels.audit import ChannelAuditAction
from channels.identity.selectors import customer_ids_linked_by_unionid
from channels.models import ContactTag, ExternalContact, FollowRelation, MatchMethod
from customers.models import Customer, TagKind, TimelineKind
from customers.selectors import customer_key_by_number_and_phone, customer_keys_by_phone
from customers.tagging.services import customer_channel_tags_add
from customers.timeline.services import timeline_record
from scrm.audit.services import audit_record, client_ip
from scrm.core.exceptions import ApplicationError
from scrm.core.redis import redis_client
from scrm.org.models import Role, Staff, StaffStatus
from scrm.pii import MAINLAND_MOBILE_IN_TEXT, PiiKind, mask_phone
from scrm.pii.crypto import normalise

logger = logging.getLogger(__name__)

VERIFY_LINK_MAX_AGE = 7 * 24 * 3600
_VERIFY_SALT = "channels.identity.verify"
_RATE_WINDOW_SECONDS = 3600


def mask_customer_no(customer_no: str) -> str:
    """Audit rows show the last four characters of a typed customer number, no more."""
    customer_no = customer_no.strip()
    return "*" * max(len(customer_no) - 4, 0) + customer_no[-4:]


# --- Linking ---------------------------------------------------------------------------------


def contact_channel_tags_copy(*, contact: ExternalContact, customer_id: int, actor: Staff | None) -> int:
    """The contact's channel tags onto the customer (source CHANNEL); returns how many were new."""
    tags = [
        link.tag
        for link in ContactTag.objects.filter(contact=contact, tag__kind=TagKind.CHANNEL, tag__is_active=True)
        .select_related("tag")
        .order_by("tag__code")
    ]
    return customer_channel_tags_add(customer_id=customer_id, tags=tags, actor=actor, reason="identity_link")


def _link(
    *,
    contact: ExternalContact,
    customer_id: int,
    customer_no: str,
    method: MatchMethod,
    actor: Staff | None,
    request: HttpRequest | None,
) -> bool:
    with transaction.atomic():
        locked = ExternalContact.objects.select_for_update().get(pk=contact.pk)
        if locked.customer_id == customer_id:
            return False
        previous = locked.customer_id
        if previous is not None and not (
            method == MatchMethod.MANUAL and actor is not None and actor.role == Role.HQ_ADMIN
        ):
            raise ApplicationError(
                _("This WeCom contact is already linked to another customer; only an HQ admin may re-link it."),
                {"field": "customer_no"},
            )
        locked.customer_id = customer_id
        locked.match_method = method
        locked.matched_at = timezone.now()
        locked.save(update_fields=["customer", "match_method", "matched_at", "updated_at"])
        contact.customer_id, contact.match_method, contact.matched_at = customer_id, method, locked.matched_at
        tags_copied = contact_channel_tags_copy(contact=locked, customer_id=customer_id, actor=actor)
        timeline_record(
            customer=Customer(pk=customer_id),
            kind=TimelineKind.UPDATED,
            summary=_("WeCom contact %(name)s recognised: %(method)s")
            % {"name": locked.name or locked.external_userid, "method": MatchMethod(method).label},
            actor=actor,
            data={"external_userid": locked.external_userid, "match_method": str(method)},
        )
        audit_record(
            actor=actor.user if actor is not None else None,
            actor_username="" if actor is not None else "system",
            action=ChannelAuditAction.IDENTITY_LINK,
            target=locked,
            data={
                "customer_no": customer_no,
                "method": str(method),
                "previous_customer_id": previous,
                "tags_copied": tags_copied,
            },
            request=request,
        )
    logger.info("identity: contact %s linked by %s", contact.pk, method)
    return True


def contact_link(
    *,
    contact: ExternalContact,
    customer: Customer,
    method: MatchMethod,
    actor: Staff | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Link the contact to the customer; True when something changed.

    Linking to the same customer again changes nothing. A contact linked to another
    customer is moved only by an HQ admin linking by hand (MANUAL); otherwise
    ApplicationError. Copies the contact's channel tags onto the customer, writes the
    customer's timeline and the audit trail.
    """
    return _link(
        contact=contact,
        customer_id=customer.pk,
        customer_no=customer.customer_no,
        method=method,
        actor=actor,
        request=request,
    )


def _mobiles_of(contact: ExternalContact, remark_mobiles: list[str]) -> list[str]:
    found = [str(mobile).strip() for mobile in remark_mobiles if str(mobile).strip()]
    # Stored remarks have their numbers masked already; an unmasked one still counts.
    for remark in FollowRelation.objects.filter(contact=contact).values_list("remark", flat=True):
        found += MAINLAND_MOBILE_IN_TEXT.findall(remark or "")
    return list(dict.fromkeys(found))


def contact_match_automatically(*, contact: ExternalContact, remark_mobiles: list[str]) -> bool:
    """Try to recognise a new or edited contact without asking anyone; True when it linked.

    1. another contact with the same (non-empty) unionid is linked → that customer;
    2. the phone numbers the RMs noted (WeCom's remark_mobiles, or a mainland mobile in a
       remark) name exactly one customer, through the phone blind index.
    Any ambiguity (two customers behind the unionid, a phone shared by two customers,
    two phones naming different customers) links nothing.
    """
    if contact.customer_id is not None:
        return False
    if contact.unionid:
        linked = customer_ids_linked_by_unionid(unionid=contact.unionid, exclude_contact_id=contact.pk)
        if len(linked) == 1:
            return _link(
                contact=contact,
                customer_id=linked[0][0],
                customer_no=linked[0][1],
                method=MatchMethod.UNIONID,
                actor=None,
                request=None,
            )
        if len(linked) > 1:
            return False
    matches: set[tuple[int, str]] = set()
    for mobile in _mobiles_of(contact, remark_mobiles):
        found = customer_keys_by_phone(mobile)
        if len(found) > 1:
            return False
        matches.update(found)
    if len(matches) != 1:
        return False
    customer_id, customer_no = matches.pop()
    return _link(
        contact=contact,
        customer_id=customer_id,
        customer_no=customer_no,
        method=MatchMethod.REMARK_PHONE,
        actor=None,
        request=None,
    )


def contact_link_manual(
    *, actor: Staff, contact: ExternalContact, customer_no: str, request: HttpRequest | None = None
) -> bool:
    """Staff link a contact to a customer by number; both must be within the actor's scope."""
    if actor.status != StaffStatus.ACTIVE or actor.role not in (Role.HQ_ADMIN, Role.BRANCH_MANAGER):
        raise ApplicationError(_("Only HQ admins and branch managers link contacts by hand."))
    if not ExternalContact.objects.visible_to(actor.user).filter(pk=contact.pk).exists():
        raise ApplicationError(_("This contact is outside your data scope."), {"field": "contact"})
    customer = Customer.objects.visible_to(actor.user).filter(customer_no=customer_no.strip()).first()
    if customer is None:
        raise ApplicationError(_("No customer with this number within your data scope."), {"field": "customer_no"})
    return contact_link(contact=contact, customer=customer, method=MatchMethod.MANUAL, actor=actor, request=request)


# --- Self-verification on the H5 page ---------------------------------------------------------


def verification_token_for(contact: ExternalContact) -> str:
    return signing.TimestampSigner(salt=_VERIFY_SALT).sign(contact.external_userid)


def verification_link_for(contact: ExternalContact) -> str:
    """The path of the contact's verification page (valid 7 days); the caller makes it absolute.

    Always the Chinese page, whatever language the RM's own session uses.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("identity-verify", args=[verification_token_for(contact)])


def contact_for_verification_token(token: str) -> ExternalContact | None:
    """The contact a verification link was made for; None when forged or older than 7 days."""
    try:
        external_userid = signing.TimestampSigner(salt=_VERIFY_SALT).unsign(token, max_age=VERIFY_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return ExternalContact.objects.filter(external_userid=external_userid).first()


class VerifyOutcome:
    LINKED = "linked"
    ALREADY = "already_verified"
    MISMATCH = "mismatch"
    RATE_LIMITED = "rate_limited"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class VerifyResult:
    outcome: str

    @property
    def ok(self) -> bool:
        return self.outcome in (VerifyOutcome.LINKED, VerifyOutcome.ALREADY)


def _count_attempt(key: str) -> int:
    """This hour's attempts under ``key``, this one included (a fixed window that starts on first use)."""
    client = redis_client()
    pipe = client.pipeline()
    pipe.set(key, 0, ex=_RATE_WINDOW_SECONDS, nx=True)
    pipe.incr(key)
    return int(pipe.execute()[1])


def contact_verify_identity(
    *, contact: ExternalContact, customer_no: str, phone: str, request: HttpRequest | None = None
) -> VerifyResult:
    """The customer's own proof: their customer number and mobile phone must both match.

    Every attempt is audited with masked values; attempts are limited per contact and
    per client address (``WECOM_VERIFY_ATTEMPTS_PER_HOUR``). The answer never says which
    of the two values was wrong.
    """
    limit = settings.WECOM_VERIFY_ATTEMPTS_PER_HOUR
    ip = client_ip(request) or "unknown"
    by_contact = _count_attempt(f"identity:verify:contact:{contact.pk}")
    by_ip = _count_attempt(f"identity:verify:ip:{ip}")
    found: tuple[int, str] | None = None
    if by_contact > limit or by_ip > limit:
        outcome = VerifyOutcome.RATE_LIMITED
    else:
        found = customer_key_by_number_and_phone(customer_no, phone) if customer_no.strip() and phone.strip() else None
        if found is None:
            outcome = VerifyOutcome.MISMATCH
        else:
            try:
                linked = _link(
                    contact=contact,
                    customer_id=found[0],
                    customer_no=found[1],
                    method=MatchMethod.SELF_VERIFIED,
                    actor=None,
                    request=request,
                )
            except ApplicationError:
                outcome = VerifyOutcome.CONFLICT
            else:
                outcome = VerifyOutcome.LINKED if linked else VerifyOutcome.ALREADY
    audit_record(
        actor=None,
        actor_username="h5",
        action=ChannelAuditAction.IDENTITY_VERIFY,
        target=contact,
        data={
            "outcome": outcome,
            "customer_no": mask_customer_no(customer_no),
            "phone": mask_phone(normalise(phone, kind=PiiKind.PHONE)),
            "attempts_by_contact": by_contact,
            "attempts_by_ip": by_ip,
        },
        request=request,
    )
    return VerifyResult(outcome=outcome)
