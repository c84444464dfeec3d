"""Channel QR codes (渠道活码): WeCom 「联系我」 contact ways with assignment, tags and a welcome.

Every change on WeCom goes through the outbox under an idempotency key, and is sent at
once (a person is waiting for the QR code). The local row and WeCom are kept in step so
that a failure leaves something a retry can finish, never a code WeCom does not know:

* create: the row is saved *pending* (inactive, no ``config_id``) before the call; on
  success it gets its config id and QR image and becomes active; when WeCom refuses,
  the row is removed again; when the outcome is transient or unknown, the row stays
  pending, the outbox sweep keeps sending, and ``channel_code_activate_pending`` (the
  "Retry" button) copies the result onto the row once WeCom has answered;
* update and deactivate: WeCom first; a refusal changes nothing here, a pending call is
  delivered later by the outbox sweep and the local change is kept.

Round-robin: WeCom picks *randomly* among a contact way's users, so a code that rotates
holds exactly one user, and each add through it moves the contact way on to the next
RM of the branch's pool (``channel_code_after_add``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import string
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from channels.audit import ChannelAuditAction
from channels.models import AssignmentStrategy, ChannelCode, OutboundCall, OutboxStatus
from channels.outbox.services import outbox_execute, outbox_send_after_commit, outbox_send_now, outbox_submit
from customers.models import Customer, Tag, TagKind
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Branch, Role, Staff, StaffStatus

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 64
WELCOME_TEXT_MAX_LENGTH = 4000
# WeCom's limits (WECOM.md §2, §3).
MAX_ATTACHMENTS = 9
MAX_FIXED_STAFF = 100
STATE_MAX_LENGTH = 30
# The placeholders a welcome text may hold, filled in when the message is sent.
# {name}: the customer's WeChat name; {verify_link}: their identity verification page (客户认证).
WELCOME_PLACEHOLDERS = frozenset({"name", "verify_link"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_STATE_ALPHABET = string.ascii_lowercase + string.digits
_STATE_PREFIX = "ch"
_STATE_RANDOM_LENGTH = 10
# A personal code's state: "<code state>.<customer id in base 36><6 hex of HMAC>".
_PERSONAL_SEPARATOR = "."
_PERSONAL_MAC_LENGTH = 6
_PERSONAL_SALT = "channels.codes.personal-state"

MANAGERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})


class ChannelCodeForbiddenError(ApplicationError):
    """The actor may not manage channel codes of this branch: answered 403."""

    status_code = 403


# --- Who and what ------------------------------------------------------------------------


def _check_may_manage(*, actor: Staff, branch: Branch) -> None:
    if actor.status != StaffStatus.ACTIVE or actor.role not in MANAGERS:
        raise ChannelCodeForbiddenError(_("Only HQ admins and branch managers manage channel codes."))
    if actor.role == Role.BRANCH_MANAGER and not branch.path.startswith(actor.branch.path):
        raise ChannelCodeForbiddenError(
            _("%(branch)s is outside your branch.") % {"branch": branch.name}, {"field": "branch"}
        )


def channel_code_pool(*, branch: Branch) -> list[Staff]:
    """The RMs a round-robin (or OWNER fallback) code rotates through, in a stable order.

    Active RMs of the branch's subtree who have a WeCom userid, ordered by id so that a
    position in ``next_assignee`` always names the same person while the pool is stable.
    """
    return list(
        Staff.objects.filter(
            branch__path__startswith=branch.path,
            role=Role.RM,
            status=StaffStatus.ACTIVE,
            user__is_active=True,
            wecom_userid__isnull=False,
        )
        .exclude(wecom_userid="")
        .order_by("id")
    )


def _fixed_staff(*, actor: Staff, staff: Sequence[Staff]) -> list[Staff]:
    chosen = list(dict.fromkeys(staff))
    if not 1 <= len(chosen) <= MAX_FIXED_STAFF:
        raise ApplicationError(
            _("A fixed-staff code needs between 1 and %(limit)d staff members.") % {"limit": MAX_FIXED_STAFF},
            {"field": "staff"},
        )
    visible = set(
        Staff.objects.visible_to(actor.user)
        .filter(pk__in=[member.pk for member in chosen], status=StaffStatus.ACTIVE, user__is_active=True)
        .exclude(wecom_userid__isnull=True)
        .exclude(wecom_userid="")
        .values_list("pk", flat=True)
    )
    refused = [member for member in chosen if member.pk not in visible]
    if refused:
        raise ApplicationError(
            _("These staff members are not active, have no WeCom account, or are outside your scope: %(names)s.")
            % {"names": ", ".join(member.employee_no for member in refused)},
            {"field": "staff", "employee_nos": [member.employee_no for member in refused]},
        )
    return chosen


def _check_tags(tags: Iterable[Tag]) -> list[Tag]:
    tags = list(dict.fromkeys(tags))
    wrong = [tag for tag in tags if tag.kind != TagKind.CHANNEL or not tag.is_active]
    if wrong:
        raise ApplicationError(
            _("Only active channel tags can be put on a channel code: %(tags)s.")
            % {"tags": ", ".join(tag.name for tag in wrong)},
            {"field": "tags", "tags": [tag.code for tag in wrong]},
        )
    return tags


def welcome_text_check(text: str) -> str:
    """The welcome text, or an ApplicationError naming what is wrong with it."""
    text_require_plain(text, field="welcome_text")
    if len(text) > WELCOME_TEXT_MAX_LENGTH:
        raise ApplicationError(
            _("The welcome message may be at most %(limit)d characters.") % {"limit": WELCOME_TEXT_MAX_LENGTH},
            {"field": "welcome_text"},
        )
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in WELCOME_PLACEHOLDERS})
    if unknown:
        raise ApplicationError(
            _(
                "Unknown placeholder in the welcome message: %(placeholders)s. "
                "Only {name} and {verify_link} are filled in."
            )
            % {"placeholders": ", ".join("{" + name + "}" for name in unknown)},
            {"field": "welcome_text", "placeholders": unknown},
        )
    return text


def _text(item: dict[str, Any], key: str, *, required: bool, index: int, limit: int = 512) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise ApplicationError(
            _("Attachment %(number)d needs a %(key)s (text of at most %(limit)d characters).")
            % {"number": index + 1, "key": key, "limit": limit},
            {"field": "welcome_attachments", "index": index, "key": key},
        )
    return value.strip()


def _url(item: dict[str, Any], key: str, *, required: bool, index: int) -> str:
    value = _text(item, key, required=required, index=index, limit=500)
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise ApplicationError(
            _("Attachment %(number)d: %(key)s must be an http(s) address.") % {"number": index + 1, "key": key},
            {"field": "welcome_attachments", "index": index, "key": key},
        )
    return value


def welcome_attachments_check(attachments: Iterable[Any]) -> list[dict[str, Any]]:
    """Attachments in send_welcome_msg's shape, ``{"msgtype": t, t: {...}}``.

    Accepts that shape or the flat one (``{"msgtype": "link", "title": ..., "url": ...}``);
    link: title, url, picurl?, desc?; image: pic_url or media_id; miniprogram: title,
    appid, page, pic_media_id.
    """
    items = list(attachments)
    if len(items) > MAX_ATTACHMENTS:
        raise ApplicationError(
            _("At most %(limit)d attachments.") % {"limit": MAX_ATTACHMENTS}, {"field": "welcome_attachments"}
        )
    checked: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        msgtype = raw.get("msgtype") if isinstance(raw, dict) else None
        if msgtype not in ("link", "image", "miniprogram"):
            raise ApplicationError(
                _("Attachment %(number)d: the type must be link, image or miniprogram.") % {"number": index + 1},
                {"field": "welcome_attachments", "index": index, "key": "msgtype"},
            )
        body = raw.get(msgtype) if isinstance(raw.get(msgtype), dict) else raw
        if msgtype == "link":
            content = {
                "title": _text(body, "title", required=True, index=index, limit=128),
                "url": _url(body, "url", required=True, index=index),
            }
            if picurl := _url(body, "picurl", required=False, index=index):
                content["picurl"] = picurl
            if desc := _text(body, "desc", required=False, index=index):
                content["desc"] = desc
        elif msgtype == "image":
            media_id = _text(body, "media_id", required=False, index=index)
            pic_url = _url(body, "pic_url", required=False, index=index)
            if not (media_id or pic_url):
                raise ApplicationError(
                    _("Attachment %(number)d: an image needs a pic_url or a media_id.") % {"number": index + 1},
                    {"field": "welcome_attachments", "index": index, "key": "pic_url"},
                )
            content = {"media_id": media_id} if media_id else {"pic_url": pic_url}
        else:
            content = {
                "title": _text(body, "title", required=True, index=index, limit=64),
                "appid": _text(body, "appid", required=True, index=index, limit=64),
                "page": _text(body, "page", required=True, index=index),
                "pic_media_id": _text(body, "pic_media_id", required=True, index=index),
            }
        checked.append({"msgtype": msgtype, msgtype: content})
    return checked


def _check_validity(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from and valid_until and valid_until <= valid_from:
        raise ApplicationError(_("The end of validity must come after its start."), {"field": "valid_until"})


def _check_name(name: str) -> str:
    name = text_require_plain(name.strip(), field="name")
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            _("A channel code needs a name of at most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH},
            {"field": "name"},
        )
    return name


def _assignees(*, strategy: str, staff: list[Staff], branch: Branch, position: int = 0) -> list[str]:
    """The WeCom userids the contact way holds: all fixed staff, or the pool's RM at ``position``."""
    if strategy == AssignmentStrategy.FIXED:
        return [member.wecom_userid for member in staff if member.wecom_userid]
    pool = channel_code_pool(branch=branch)
    if not pool:
        raise ApplicationError(
            _("%(branch)s has no active RM with a WeCom account to assign customers to.") % {"branch": branch.name},
            {"field": "strategy"},
        )
    return [str(pool[position % len(pool)].wecom_userid)]


def _new_state() -> str:
    return _STATE_PREFIX + "".join(secrets.choice(_STATE_ALPHABET) for _ in range(_STATE_RANDOM_LENGTH))


def _outcome_error(call: OutboundCall, *, refused: str) -> ApplicationError:
    """``refused`` is the whole sentence for a refusal, with an %(error)s placeholder."""
    if call.status == OutboxStatus.FAILED:
        return ApplicationError(refused % {"error": call.error_message}, {"wecom_errcode": call.error_code})
    return ApplicationError(
        _("WeCom did not confirm in time; the request will be retried. Try again in a minute."),
        {"pending": True, "outbox_call": call.pk, "wecom_error": call.error_message},
    )


def _code_audit(*, actor: Staff, code: ChannelCode, event: str, data: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor.user,
        action=ChannelAuditAction.CHANNEL_CODE,
        target=code,
        data={"event": event, "name": code.name, "state": code.state, **(data or {})},
    )


def _snapshot(code: ChannelCode) -> dict[str, Any]:
    """What an audit row shows of a code before and after a change (no PII in a code)."""
    return {
        "name": code.name,
        "strategy": code.strategy,
        "staff": sorted(code.staff.values_list("employee_no", flat=True)),
        "tags": sorted(code.tags.values_list("code", flat=True)),
        "welcome_text_length": len(code.welcome_text),
        "attachments": len(code.welcome_attachments),
        "skip_verify": code.skip_verify,
        "valid_from": code.valid_from.isoformat() if code.valid_from else None,
        "valid_until": code.valid_until.isoformat() if code.valid_until else None,
    }


# --- Create, update, deactivate ---------------------------------------------------------------


def channel_code_create(
    *,
    actor: Staff,
    name: str,
    branch: Branch,
    strategy: str,
    staff: Sequence[Staff] = (),
    tags: Sequence[Tag] = (),
    welcome_text: str = "",
    welcome_attachments: Sequence[dict[str, Any]] = (),
    skip_verify: bool = True,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> ChannelCode:
    """Create the code and its WeCom contact way; returns it active with its QR image.

    Raises ApplicationError on invalid input (nothing is created), when WeCom refuses
    (nothing is left behind) and when WeCom's answer is pending (the code is kept,
    inactive, for ``channel_code_activate_pending``).
    """
    _check_may_manage(actor=actor, branch=branch)
    if branch.closed_at is not None:
        raise ApplicationError(
            _("%(branch)s is closed: new codes go to open branches.") % {"branch": branch.name}, {"field": "branch"}
        )
    name = _check_name(name)
    if strategy not in AssignmentStrategy.values:
        raise ApplicationError(_("Unknown assignment strategy."), {"field": "strategy"})
    chosen = _fixed_staff(actor=actor, staff=staff) if strategy == AssignmentStrategy.FIXED else []
    tags = _check_tags(tags)
    welcome_text = welcome_text_check(welcome_text)
    attachments = welcome_attachments_check(welcome_attachments)
    _check_validity(valid_from, valid_until)
    users = _assignees(strategy=strategy, staff=chosen, branch=branch)

    for _attempt in range(5):
        try:
            with transaction.atomic():
                code = ChannelCode.objects.create(
                    name=name,
                    branch=branch,
                    strategy=strategy,
                    welcome_text=welcome_text,
                    welcome_attachments=attachments,
                    skip_verify=skip_verify,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    state=_new_state(),
                    is_active=False,
                    created_by=actor,
                )
                break
        except IntegrityError:  # a state collision, one in 36^10: draw again
            continue
    else:  # pragma: no cover - five collisions in a row
        raise ApplicationError(_("Could not allocate a unique state for the code; try again."))
    code.staff.set(chosen)
    code.tags.set(tags)
    call = outbox_send_now(
        key=f"contact_way:add:{code.state}",
        operation="add_contact_way",
        payload={"users": users, "state": code.state, "remark": name, "skip_verify": skip_verify},
    )
    if call.status == OutboxStatus.FAILED:
        code.delete()
        raise _outcome_error(call, refused=_("WeCom refused to create the contact way: %(error)s"))
    if call.status != OutboxStatus.SUCCEEDED:
        _code_audit(actor=actor, code=code, event="created_pending", data=_snapshot(code))
        raise _outcome_error(call, refused=_("WeCom refused to create the contact way: %(error)s"))
    _activate(code=code, call=call)
    _code_audit(actor=actor, code=code, event="created", data={**_snapshot(code), "users": users})
    return code


def _activate(*, code: ChannelCode, call: OutboundCall) -> None:
    code.config_id = str(call.result_value("config_id", ""))
    code.qr_code = str(call.result_value("qr_code", ""))
    code.is_active = True
    code.save(update_fields=["config_id", "qr_code", "is_active", "updated_at"])


def channel_code_is_pending(code: ChannelCode) -> bool:
    """Saved, but WeCom has not yet confirmed its contact way."""
    return not code.config_id and not code.is_active


def channel_code_activate_pending(*, actor: Staff, code: ChannelCode) -> ChannelCode:
    """Finish the creation of a pending code: send again if due, copy WeCom's answer over."""
    _check_may_manage(actor=actor, branch=code.branch)
    if not channel_code_is_pending(code):
        return code
    call = OutboundCall.objects.get(idempotency_key=f"contact_way:add:{code.state}")
    if not call.is_final:
        call = outbox_execute(call.pk)
    if call.status != OutboxStatus.SUCCEEDED:
        raise _outcome_error(call, refused=_("WeCom refused to create the contact way: %(error)s"))
    _activate(code=code, call=call)
    _code_audit(actor=actor, code=code, event="activated")
    return code


def _current_users(code: ChannelCode) -> list[str]:
    """The userids the code's contact way holds now, as far as this side knows."""
    try:
        return _assignees(
            strategy=code.strategy, staff=list(code.staff.all()), branch=code.branch, position=code.next_assignee
        )
    except ApplicationError:
        return []


def _send_update(*, code: ChannelCode, users: list[str], skip_verify: bool, key: str) -> OutboundCall:
    return outbox_send_now(
        key=key,
        operation="update_contact_way",
        payload={"config_id": code.config_id, "users": users, "state": code.state, "skip_verify": skip_verify},
    )


def channel_code_update(
    *,
    actor: Staff,
    code: ChannelCode,
    name: str,
    strategy: str,
    staff: Sequence[Staff] = (),
    tags: Sequence[Tag] = (),
    welcome_text: str = "",
    welcome_attachments: Sequence[dict[str, Any]] = (),
    skip_verify: bool = True,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> ChannelCode:
    """Change a code. The branch and state stay; the contact way's users follow the strategy.

    WeCom is told first when its users or confirmation setting change: a refusal changes
    nothing; a pending answer is delivered by the outbox and the change is kept.
    """
    _check_may_manage(actor=actor, branch=code.branch)
    if not code.is_active and not channel_code_is_pending(code):
        raise ApplicationError(_("A deactivated channel code cannot be changed; create a new one."))
    name = _check_name(name)
    if strategy not in AssignmentStrategy.values:
        raise ApplicationError(_("Unknown assignment strategy."), {"field": "strategy"})
    chosen = _fixed_staff(actor=actor, staff=staff) if strategy == AssignmentStrategy.FIXED else []
    tags = _check_tags(tags)
    welcome_text = welcome_text_check(welcome_text)
    attachments = welcome_attachments_check(welcome_attachments)
    _check_validity(valid_from, valid_until)
    before = _snapshot(code)
    old_users = _current_users(code)
    users = _assignees(strategy=strategy, staff=chosen, branch=code.branch, position=code.next_assignee)
    if code.config_id and (users != old_users or skip_verify != code.skip_verify):
        digest = hashlib.sha256(f"{users}|{skip_verify}|{timezone.now().isoformat()}".encode()).hexdigest()[:16]
        call = _send_update(code=code, users=users, skip_verify=skip_verify, key=f"contact_way:edit:{code.pk}:{digest}")
        if call.status == OutboxStatus.FAILED:
            raise _outcome_error(call, refused=_("WeCom refused to update the contact way: %(error)s"))
    with transaction.atomic():
        code.name, code.strategy, code.skip_verify = name, strategy, skip_verify
        code.welcome_text, code.welcome_attachments = welcome_text, attachments
        code.valid_from, code.valid_until = valid_from, valid_until
        code.save(
            update_fields=[
                "name",
                "strategy",
                "skip_verify",
                "welcome_text",
                "welcome_attachments",
                "valid_from",
                "valid_until",
                "updated_at",
            ]
        )
        code.staff.set(chosen)
        code.tags.set(tags)
        _code_audit(actor=actor, code=code, event="updated", data={"old": before, "new": _snapshot(code)})
    return code


def channel_code_deactivate(*, actor: Staff, code: ChannelCode) -> ChannelCode:
    """Stop the code: its contact way is deleted on WeCom, so the QR image no longer adds anyone.

    Adds already made through it stay attributed to it.
    """
    _check_may_manage(actor=actor, branch=code.branch)
    if not code.is_active and not channel_code_is_pending(code):
        return code
    if code.config_id:
        call = outbox_send_now(
            key=f"contact_way:delete:{code.state}",
            operation="delete_contact_way",
            payload={"config_id": code.config_id},
        )
        if call.status == OutboxStatus.FAILED:
            raise _outcome_error(call, refused=_("WeCom refused to delete the contact way: %(error)s"))
    with transaction.atomic():
        code.is_active = False
        code.save(update_fields=["is_active", "updated_at"])
        _code_audit(actor=actor, code=code, event="deactivated")
    return code


# --- What the add-contact flow calls ------------------------------------------------------


def channel_code_for_state(state: str) -> ChannelCode | None:
    """The code an add came through, active or not (an add is always attributed to its code).

    A personal code's state ``<code state>.<customer token>`` resolves to its parent code.
    """
    if not state:
        return None
    parent = state.split(_PERSONAL_SEPARATOR, 1)[0]
    return ChannelCode.objects.filter(state=parent).select_related("branch").first()


def channel_code_is_valid(code: ChannelCode, at: datetime) -> bool:
    """Active and within its validity window: only then does it welcome and tag."""
    if not code.is_active:
        return False
    if code.valid_from and at < code.valid_from:
        return False
    return not (code.valid_until and at >= code.valid_until)


def channel_code_after_add(*, code: ChannelCode, userid: str) -> None:
    """Move a rotating code's contact way on to the next RM after an add through it.

    Rotates only when the add went to the RM at the current position: a replayed event
    for the same add finds the position already moved on and does nothing, and the
    conditional UPDATE lets exactly one of two concurrent callers advance. The WeCom
    call is keyed on (code, new position), so a retry never sends it twice. FIXED codes
    and adds through OWNER personal codes (to an RM not at the position) do nothing.
    """
    if code.strategy == AssignmentStrategy.FIXED or not code.config_id or not code.is_active:
        return
    pool = channel_code_pool(branch=code.branch)
    if len(pool) < 2:
        return
    position = ChannelCode.objects.filter(pk=code.pk).values_list("next_assignee", flat=True).get()
    if pool[position % len(pool)].wecom_userid != userid:
        return
    advanced = ChannelCode.objects.filter(pk=code.pk, next_assignee=position).update(
        next_assignee=F("next_assignee") + 1, updated_at=timezone.now()
    )
    if advanced != 1:
        return
    code.next_assignee = position + 1
    call = outbox_submit(
        key=f"contact_way:rotate:{code.pk}:{position + 1}",
        operation="update_contact_way",
        payload={
            "config_id": code.config_id,
            "users": [pool[(position + 1) % len(pool)].wecom_userid],
            "state": code.state,
            "skip_verify": code.skip_verify,
        },
        send=False,
    )
    # Send now: the next scanner should already reach the next RM.
    outbox_send_after_commit(call.pk)


def welcome_message_for(
    *, code: ChannelCode, contact_name: str, verify_link: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    """The text (placeholders filled in, nothing escaped: WeCom shows plain text) and attachments."""
    text = code.welcome_text.replace("{name}", contact_name).replace("{verify_link}", verify_link)
    return text, [dict(item) for item in code.welcome_attachments]


# --- OWNER: personal codes ------------------------------------------------------------------


def _b36(number: int) -> str:
    digits = ""
    while True:
        number, remainder = divmod(number, 36)
        digits = _STATE_ALPHABET[remainder + 26 if remainder < 10 else remainder - 10] + digits
        if number == 0:
            return digits


def _personal_mac(parent: str, customer_id: int) -> str:
    return salted_hmac(_PERSONAL_SALT, f"{parent}.{customer_id}").hexdigest()[:_PERSONAL_MAC_LENGTH]


def personal_state(*, code: ChannelCode, customer_id: int) -> str:
    state = f"{code.state}{_PERSONAL_SEPARATOR}{_b36(customer_id)}{_personal_mac(code.state, customer_id)}"
    assert len(state) <= STATE_MAX_LENGTH, "WeCom states are at most 30 characters"
    return state


def _customer_id_in(state: str) -> tuple[str, int] | None:
    """The (parent state, customer id) a personal state names, if its MAC is right."""
    parent, separator, token = state.partition(_PERSONAL_SEPARATOR)
    if not separator or len(token) <= _PERSONAL_MAC_LENGTH:
        return None
    try:
        customer_id = int(token[:-_PERSONAL_MAC_LENGTH], 36)
    except ValueError:
        return None
    if not constant_time_compare(token[-_PERSONAL_MAC_LENGTH:], _personal_mac(parent, customer_id)):
        return None
    return parent, customer_id


def _personal_key(*, code: ChannelCode, customer_id: int, owner: Staff) -> str:
    return f"contact_way:personal:{code.pk}:{customer_id}:{owner.pk}"


def channel_code_personal_link(*, code: ChannelCode, customer: Customer) -> dict[str, Any]:
    """The customer's own QR code for an OWNER code: a single-user contact way for their RM.

    Created once per (code, customer, owner RM) through the outbox; asking again returns
    the same one. Returns ``{"state", "config_id", "qr_code", "userid"}``.
    """
    if code.strategy != AssignmentStrategy.OWNER:
        raise ApplicationError(_("Personal codes exist only for codes that route customers to their own RM."))
    if not channel_code_is_valid(code, timezone.now()):
        raise ApplicationError(_("This channel code is not active."))
    owner = customer.owner
    if owner is None or owner.status != StaffStatus.ACTIVE or not owner.wecom_userid:
        raise ApplicationError(_("The customer has no active RM with a WeCom account."), {"field": "customer"})
    state = personal_state(code=code, customer_id=customer.pk)
    call = outbox_send_now(
        key=_personal_key(code=code, customer_id=customer.pk, owner=owner),
        operation="add_contact_way",
        payload={"users": [owner.wecom_userid], "state": state, "remark": code.name, "skip_verify": code.skip_verify},
    )
    if call.status != OutboxStatus.SUCCEEDED:
        raise _outcome_error(call, refused=_("WeCom refused to create the personal code: %(error)s"))
    return {
        "state": state,
        "config_id": call.result_value("config_id", ""),
        "qr_code": call.result_value("qr_code", ""),
        "userid": owner.wecom_userid,
    }


def customer_for_state(state: str) -> Customer | None:
    """The customer a personal code was made for, as seen by the RM it routes to.

    None for every other state, for a forged or mistyped token, and when the customer is
    no longer within that RM's scope (they moved to another RM since the code was made):
    then the add is matched like any other.
    """
    parsed = _customer_id_in(state or "")
    if parsed is None:
        return None
    parent, customer_id = parsed
    code = ChannelCode.objects.filter(state=parent).first()
    if code is None:
        return None
    calls = OutboundCall.objects.filter(
        idempotency_key__startswith=f"contact_way:personal:{code.pk}:{customer_id}:", status=OutboxStatus.SUCCEEDED
    ).order_by("-id")
    for call in calls:
        userid = (call.payload.get("users") or [None])[0]
        rm = Staff.objects.select_related("user").filter(wecom_userid=userid, status=StaffStatus.ACTIVE).first()
        if rm is None:
            continue
        customer: Customer | None = Customer.objects.visible_to(rm.user).filter(pk=customer_id).first()
        if customer is not None:
            return customer
    return None


def channel_codes_for_actor(*, actor: Staff) -> QuerySet[ChannelCode]:
    return ChannelCode.objects.visible_to(actor.user)
