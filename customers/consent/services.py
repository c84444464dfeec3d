"""Recording consent (授权): one service changes a customer's flag and writes its history.

The current value of each purpose is a column on ``Customer`` (read by audiences in one
pass); every change also appends a ``ConsentRecord`` with the previous and the new value,
where it came from and who recorded it, a timeline event and, when a member of staff did
it, an audit row — all in one transaction, so the flag and its history never disagree.
The import writes the same history set-based, in its own statement
(``customers.imports.staging``).
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import CustomerAuditAction
from customers.models import CONSENT_FLAGS, ConsentPurpose, ConsentRecord, ConsentSource, Customer, TimelineKind
from customers.selectors import customer_list_visible, customers_by_ids_for_system
from customers.timeline.services import timeline_record
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.redis import redis_client
from scrm.core.text import text_require_plain
from scrm.org.models import Role, Staff

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 200
# Who may record a customer's consent; compliance reads the history only.
CONSENT_RECORDER_ROLES = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})
# Sources that are a member of staff acting, and so need one (and an audit row).
STAFF_SOURCES = frozenset({ConsentSource.RM, ConsentSource.ADMIN})
_RATE_WINDOW_SECONDS = 3600


class ConsentForbiddenError(ApplicationError):
    """The actor may not record consent for this customer: answered 403."""

    status_code = HTTPStatus.FORBIDDEN


class ConsentCustomerNotFoundError(ApplicationError):
    """No such customer — or one outside the actor's scope, which is the same to them: 404."""

    status_code = HTTPStatus.NOT_FOUND


def _choice(value: str, choices: type[ConsentPurpose] | type[ConsentSource], *, field: str) -> str:
    if value not in choices.values:
        raise ApplicationError(
            _("Unknown %(field)s %(value)r; expected one of: %(choices)s.")
            % {"field": field, "value": value, "choices": ", ".join(choices.values)},
            extra={"field": field},
        )
    return value


def _reason_clean(reason: str) -> str:
    reason = text_require_plain(" ".join(reason.split()), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            _("The reason holds at most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH},
            extra={"field": "reason"},
        )
    return reason


def _actor_check(*, actor: Staff | None, source: str) -> None:
    if source in STAFF_SOURCES and actor is None:
        raise ApplicationError(_("Consent entered by staff names the member of staff who entered it."))
    if source not in STAFF_SOURCES and actor is not None:
        raise ApplicationError(
            _("Only the customer or WeCom records consent from this source, not a member of staff."),
            extra={"field": "source"},
        )
    if actor is not None and actor.role not in CONSENT_RECORDER_ROLES:
        raise ConsentForbiddenError(_("Your role may read consent but not record it."))


def _customer_locked(*, customer_id: int, actor: Staff | None) -> Customer:
    """The customer row, locked; through the actor's scope when a member of staff acts."""
    customers = (
        customer_list_visible(user=actor.user)
        if actor is not None
        else customers_by_ids_for_system(customer_ids=[customer_id])
    )
    customer = customers.filter(pk=customer_id).select_for_update(of=("self",)).first()
    if customer is None:
        raise ConsentCustomerNotFoundError(_("No such customer."))
    if actor is not None and actor.role == Role.RM and customer.owner_id != actor.pk:
        raise ConsentForbiddenError(_("Relationship managers record consent only for the customers they serve."))
    return customer


def consent_set(
    *,
    customer_id: int,
    purpose: str,
    granted: bool,
    source: str,
    reason: str = "",
    actor: Staff | None = None,
    request: HttpRequest | None = None,
) -> ConsentRecord | None:
    """Set one purpose's consent; the history row, or None when the value was already so.

    Refused with ``ApplicationError``, changing nothing: an unknown purpose or source, a
    reason with hidden characters or over 200 characters, an opt-out entered by staff
    without the customer's own words as the reason, a staff source without an actor (or
    the customer's own sources with one), a role that may not record consent (403), a
    customer outside the actor's scope (404) and, for an RM, a customer they do not own (403).
    The import is not a caller: it writes its history set-based in its own statement.
    """
    purpose = _choice(purpose, ConsentPurpose, field="purpose")
    source = _choice(source, ConsentSource, field="source")
    if source == ConsentSource.IMPORT:
        raise ApplicationError(_("Imports record consent themselves."), extra={"field": "source"})
    reason = _reason_clean(reason)
    if source in STAFF_SOURCES and not granted and not reason:
        raise ApplicationError(
            _("Write down the customer's own words for opting out as the reason."), extra={"field": "reason"}
        )
    _actor_check(actor=actor, source=source)

    with transaction.atomic():
        customer = _customer_locked(customer_id=customer_id, actor=actor)
        flag = CONSENT_FLAGS[purpose]
        previous = bool(getattr(customer, flag))
        if previous == granted:
            return None
        now = timezone.now()
        setattr(customer, flag, granted)
        update_fields = [flag, "updated_at"]
        if purpose == ConsentPurpose.MARKETING:
            # As the import keeps it: when consent was given, cleared when withdrawn.
            customer.consent_at = now if granted else None
            update_fields.append("consent_at")
        customer.save(update_fields=update_fields)
        record = ConsentRecord.objects.create(
            customer=customer,
            purpose=purpose,
            previous=previous,
            granted=granted,
            source=source,
            reason=reason,
            actor=actor,
            recorded_at=now,
        )
        labels = {"purpose": ConsentPurpose(purpose).label, "source": ConsentSource(source).label}
        summary = (
            _("%(purpose)s consent given (%(source)s)") if granted else _("%(purpose)s consent withdrawn (%(source)s)")
        ) % labels
        # The reason stays in the consent history: it is the customer's free text.
        facts = {"purpose": purpose, "previous": previous, "granted": granted, "source": source}
        timeline_record(
            customer=customer,
            kind=TimelineKind.CONSENT_CHANGED,
            summary=summary,
            actor=actor,
            data={**facts, "consent_record": record.pk},
        )
        if actor is not None:
            audit_record(
                actor=actor.user,
                action=CustomerAuditAction.CONSENT,
                target=customer,
                data={**facts, "customer_no": customer.customer_no, "consent_record": record.pk},
                request=request,
            )
    logger.info("consent changed customer_id=%s purpose=%s granted=%s source=%s", customer_id, purpose, granted, source)
    return record


# --- The customer's own preference page -------------------------------------------------------


def _count_in_window(key: str) -> int:
    """This hour's requests under ``key``, this one included (a fixed window from the first use)."""
    pipe = redis_client().pipeline()
    pipe.set(key, 0, ex=_RATE_WINDOW_SECONDS, nx=True)
    pipe.incr(key)
    return int(pipe.execute()[1])


def consent_preference_request_allowed(*, ip: str, customer_id: int | None, change: bool) -> bool:
    """Whether the preference page may answer: every request counts per client address, a change
    also per customer (``CONSENT_PAGE_REQUESTS_PER_HOUR``, ``CONSENT_PAGE_CHANGES_PER_HOUR``).

    A token cannot be guessed, so the limits keep a forwarded link from being hammered and the
    history from being flooded, not from being found.
    """
    if _count_in_window(f"consent:page:ip:{ip}") > settings.CONSENT_PAGE_REQUESTS_PER_HOUR:
        return False
    if change and customer_id is not None:
        return _count_in_window(f"consent:page:change:{customer_id}") <= settings.CONSENT_PAGE_CHANGES_PER_HOUR
    return True
