"""Writes to campaigns: building one, and every move of its status.

The status moves only through :data:`TRANSITIONS`; each move is one service call that
locks the campaign, checks the move and who makes it, and audits actor, old and new
status in the same transaction. An illegal move raises :class:`CampaignStateError`
(409) and changes nothing.

Submitting runs every variant's text through the compliance matcher: a blocking hit
refuses the submission with each hit and where it is; review hits go to compliance,
shown in place on the campaign page.

Four eyes: a compliance officer who neither built nor submitted the campaign approves
or rejects it. An approval names the revision it approved; any later edit of an
approved or scheduled campaign sends it back to review, so what is dispatched is always
exactly what was approved (``Campaign.approved_as_is``).
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from campaigns.audience.services import GREETING_TOKENS
from campaigns.audit import CampaignAuditAction
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignPurpose,
    CampaignStatus,
    CampaignVariant,
    CampaignVariantAttachment,
    ContentItem,
    ContentKind,
    Recurrence,
    ScheduleKind,
)
from campaigns.models.campaign import HOLDOUT_PERCENT_MAX, VARIANT_ATTACHMENTS_MAX, VARIANT_LABELS
from customers.models import ProductType, Segment
from customers.segments.services import NAME_MAX_LENGTH as SEGMENT_NAME_MAX_LENGTH
from customers.segments.services import segment_create
from risk.compliance.matcher import ContentHit, library_current
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Branch, Staff
from scrm.org.roles import Role

NAME_MAX_LENGTH = 100
# add_msg_template takes at most 4,000 bytes of text; a moments post at most 2,000 characters.
MESSAGE_TEXT_MAX_BYTES = 4000
MOMENT_TEXT_MAX_LENGTH = 2000
# What WeCom's add_moment_task takes (WECOM.md §5); nine images at most is the attachments' own limit.
MOMENT_ATTACHMENT_KINDS = frozenset({ContentKind.IMAGE, ContentKind.VIDEO, ContentKind.LINK})
ATTRIBUTION_DAYS_MAX = 180
RESULT_DAYS_MAX = 30
REVIEW_NOTE_MAX_LENGTH = 500
BUILDER_ROLES = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})

S = CampaignStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.IN_REVIEW, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.DRAFT, S.CANCELLED}),
    S.REJECTED: frozenset({S.DRAFT, S.IN_REVIEW, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.IN_REVIEW, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.DISPATCHING, S.IN_REVIEW, S.CANCELLED}),
    # A recurring campaign goes back to scheduled between occurrences.
    S.DISPATCHING: frozenset({S.SCHEDULED, S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
EDITABLE = frozenset({S.DRAFT, S.IN_REVIEW, S.REJECTED, S.APPROVED, S.SCHEDULED})


class CampaignStateError(ApplicationError):
    """The campaign's status does not allow this."""

    status_code = status.HTTP_409_CONFLICT


@dataclass(frozen=True)
class VariantDraft:
    label: str
    weight: int
    text: str
    # Content library items sent with the text, in order.
    attachment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CampaignDraft:
    """Everything the builder sets; validated as a whole by :func:`campaign_draft_validate`."""

    name: str
    purpose: str
    kind: str
    # None while the audience is still a rule (``audience_rule``): saving makes it a segment.
    segment_id: int | None
    variants: list[VariantDraft]
    branch_ids: list[int] = field(default_factory=list)
    schedule_kind: str = ScheduleKind.NOW
    start_at: datetime.datetime | None = None
    recurrence: str = ""
    recurrence_until: datetime.date | None = None
    holdout_percent: int = 0
    target_product_types: list[str] = field(default_factory=list)
    attribution_days: int = 30
    result_days: int = 7
    # A rule defined in the builder instead of a segment picked (the visual rule builder's JSON).
    audience_rule: Any = None


def _with_rule_audience(draft: CampaignDraft, actor: Staff) -> CampaignDraft:
    """A rule audience becomes a segment of its own (named after the campaign, listed with the
    others, reusable), so planning, previews and results read audiences one way only. Called
    inside the saving transaction: a refused campaign leaves no segment behind."""
    if draft.audience_rule is None:
        return draft
    if draft.segment_id is not None:
        raise _refuse(_("Pick a segment or define the audience with conditions, not both."), "audience_rule")
    name = (_("Audience of %(campaign)s") % {"campaign": draft.name.strip()})[:SEGMENT_NAME_MAX_LENGTH]
    segment = segment_create(
        name=name,
        description=_("Defined in the campaign builder."),
        definition={"rule": draft.audience_rule},
        actor=actor,
    )
    return dataclasses.replace(draft, segment_id=segment.pk, audience_rule=None)


def _refuse(message: str, field_name: str) -> ApplicationError:
    return ApplicationError(message, extra={"field": field_name})


def _validate_variants(draft: CampaignDraft) -> None:
    variants = draft.variants
    if not 1 <= len(variants) <= len(VARIANT_LABELS):
        raise _refuse(_("A campaign has one to four variants."), "variants")
    if [v.label for v in variants] != list(VARIANT_LABELS[: len(variants)]):
        raise _refuse(_("Variants are labelled A, B, C and D in order."), "variants")
    if any(not 1 <= v.weight <= 100 for v in variants) or sum(v.weight for v in variants) != 100:
        raise _refuse(_("The variants' shares must add up to 100%."), "variants")
    for variant in variants:
        where = f"variants.{variant.label}.text"
        text_require_plain(variant.text, field=where)
        if not variant.text.strip():
            raise _refuse(_("Variant %(label)s has no text.") % {"label": variant.label}, where)
        if draft.kind == CampaignKind.MOMENTS and len(variant.text) > MOMENT_TEXT_MAX_LENGTH:
            raise _refuse(
                _("A moments post holds at most %(limit)d characters.") % {"limit": MOMENT_TEXT_MAX_LENGTH}, where
            )
        if len(variant.text.encode()) > MESSAGE_TEXT_MAX_BYTES:
            raise _refuse(
                _("A mass message holds at most %(limit)d bytes of text.") % {"limit": MESSAGE_TEXT_MAX_BYTES}, where
            )


def _validate_schedule(draft: CampaignDraft) -> None:
    if draft.schedule_kind not in ScheduleKind.values:
        raise _refuse(_("Unknown schedule."), "schedule_kind")
    if draft.schedule_kind == ScheduleKind.NOW:
        if draft.start_at is not None or draft.recurrence:
            raise _refuse(_("A campaign sent at once has no start time or recurrence."), "schedule_kind")
        return
    if draft.start_at is None:
        raise _refuse(_("Set when the campaign starts."), "start_at")
    if draft.start_at <= timezone.now():
        raise _refuse(_("The start time must be in the future."), "start_at")
    if draft.schedule_kind == ScheduleKind.AT:
        if draft.recurrence or draft.recurrence_until:
            raise _refuse(_("A campaign sent once does not recur."), "recurrence")
        return
    if draft.recurrence not in Recurrence.values:
        raise _refuse(_("Choose daily, weekly or monthly."), "recurrence")
    if draft.recurrence_until is None:
        raise _refuse(_("A recurring campaign needs an end date."), "recurrence_until")
    if draft.recurrence_until < timezone.localdate(draft.start_at):
        raise _refuse(_("The end date is before the start."), "recurrence_until")


def _validate_attachments(draft: CampaignDraft, *, actor: Staff) -> None:
    """At most nine per variant, each an active, non-text library item the actor may use."""
    usable = ContentItem.objects.visible_to(actor.user).filter(is_active=True).exclude(kind=ContentKind.TEXT)
    for variant in draft.variants:
        where = f"variants.{variant.label}.attachments"
        ids = list(variant.attachment_ids)
        if len(ids) > VARIANT_ATTACHMENTS_MAX or len(set(ids)) != len(ids):
            raise _refuse(
                _("Variant %(label)s takes at most %(limit)d different attachments.")
                % {"label": variant.label, "limit": VARIANT_ATTACHMENTS_MAX},
                where,
            )
        if ids and usable.filter(pk__in=ids).count() != len(ids):
            # One answer for unknown, retired, text and out-of-reach items: no enumeration.
            raise _refuse(_("Variant %(label)s names an attachment you cannot use.") % {"label": variant.label}, where)


def campaign_draft_validate(
    draft: CampaignDraft, *, owner_branch: Branch, actor: Staff
) -> tuple[Segment, list[Branch]]:
    """Every rule of the builder; the segment and branches it names. Raises ApplicationError."""
    text_require_plain(draft.name, field="name")
    if not draft.name.strip() or len(draft.name) > NAME_MAX_LENGTH:
        raise _refuse(
            _("A campaign needs a name of at most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}, "name"
        )
    if draft.purpose not in CampaignPurpose.values:
        raise _refuse(_("Unknown purpose."), "purpose")
    if draft.kind not in CampaignKind.values:
        raise _refuse(_("Unknown kind of campaign."), "kind")
    segment = Segment.objects.filter(pk=draft.segment_id).first() if draft.segment_id is not None else None
    if segment is None:
        raise _refuse(_("No such segment."), "segment")
    branches = list(Branch.objects.filter(pk__in=draft.branch_ids))
    if len(branches) != len(set(draft.branch_ids)) or any(not b.path.startswith(owner_branch.path) for b in branches):
        # One answer for an unknown branch and one outside the subtree: no enumeration.
        raise _refuse(_("Choose branches within your own part of the bank."), "branches")
    if not 0 <= draft.holdout_percent <= HOLDOUT_PERCENT_MAX:
        raise _refuse(
            _("The holdout is 0 to %(limit)d%% of the audience.") % {"limit": HOLDOUT_PERCENT_MAX}, "holdout_percent"
        )
    if any(product not in ProductType.values for product in draft.target_product_types):
        raise _refuse(_("Unknown product type."), "target_product_types")
    if not 1 <= draft.attribution_days <= ATTRIBUTION_DAYS_MAX:
        raise _refuse(
            _("The attribution window is 1 to %(limit)d days.") % {"limit": ATTRIBUTION_DAYS_MAX}, "attribution_days"
        )
    if not 1 <= draft.result_days <= RESULT_DAYS_MAX:
        raise _refuse(_("The result window is 1 to %(limit)d days.") % {"limit": RESULT_DAYS_MAX}, "result_days")
    _validate_schedule(draft)
    _validate_variants(draft)
    _validate_attachments(draft, actor=actor)
    if draft.kind == CampaignKind.MOMENTS:
        _validate_moment(draft)
    return segment, branches


def _validate_moment(draft: CampaignDraft) -> None:
    """A moment is one post all its RMs publish, visible to each one's customers.

    So it has one version (no A/B split), nobody can be held out of it, its text can name
    no RM, and its media follow WeCom's rule: up to nine images, or one video, or one link.
    """
    if len(draft.variants) != 1:
        raise _refuse(_("A moments post has one version: it cannot be split into variants."), "variants")
    if draft.holdout_percent:
        raise _refuse(
            _("A moments post is visible to all of an RM's customers: it cannot hold a group out."),
            "holdout_percent",
        )
    variant = draft.variants[0]
    if any(token in variant.text for token in GREETING_TOKENS):
        raise _refuse(
            _("One moment goes out for every RM: its text cannot name the RM or the outlet."), "variants.A.text"
        )
    items = list(ContentItem.objects.filter(pk__in=variant.attachment_ids).values_list("kind", "file"))
    kinds = [kind for kind, _file in items]
    where = "variants.A.attachments"
    if any(kind == ContentKind.LINK and not file for kind, file in items):
        raise _refuse(_("A link in a moments post needs a cover image."), where)
    if any(kind not in MOMENT_ATTACHMENT_KINDS for kind in kinds):
        raise _refuse(_("A moments post takes images, a video or a link."), where)
    if len(set(kinds)) > 1:
        raise _refuse(_("A moments post takes images, or one video, or one link: not a mix."), where)
    if kinds and kinds[0] != ContentKind.IMAGE and len(kinds) > 1:
        raise _refuse(_("A moments post takes one video or one link."), where)


def _require_builder(actor: Staff) -> None:
    if actor.role not in BUILDER_ROLES:
        raise ApplicationError(_("Only head office and branch managers build campaigns."))


def _locked(campaign_id: int, actor: Staff, *, to_review: bool = False) -> Campaign:
    """The campaign, row-locked, if the actor may manage it (or review it); otherwise 404.

    A campaign the actor may only read (a branch manager's view of head office's) does
    not exist for changing, so one answer covers unknown and not yours.
    """
    campaigns = Campaign.objects.visible_to(actor.user) if to_review else Campaign.objects.manageable_by(actor.user)
    campaign = campaigns.select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404(_("No such campaign."))
    return campaign


def _fields(draft: CampaignDraft, segment: Segment) -> dict[str, Any]:
    return {
        "name": draft.name.strip(),
        "purpose": draft.purpose,
        "kind": draft.kind,
        "segment": segment,
        "schedule_kind": draft.schedule_kind,
        "start_at": draft.start_at,
        "recurrence": draft.recurrence,
        "recurrence_until": draft.recurrence_until,
        "holdout_percent": draft.holdout_percent,
        "target_product_types": list(draft.target_product_types),
        "attribution_days": draft.attribution_days,
        "result_days": draft.result_days,
    }


def _write_variants(campaign: Campaign, draft: CampaignDraft) -> None:
    campaign.variants.all().delete()
    variants = CampaignVariant.objects.bulk_create(
        CampaignVariant(campaign=campaign, label=v.label, weight=v.weight, text=v.text) for v in draft.variants
    )
    CampaignVariantAttachment.objects.bulk_create(
        CampaignVariantAttachment(variant=variant, item_id=item_id, position=position)
        for variant, drafted in zip(variants, draft.variants, strict=True)
        for position, item_id in enumerate(drafted.attachment_ids)
    )


def _move(campaign: Campaign, to: str, *, actor: Staff | None, request: HttpRequest | None = None, **data: Any) -> None:
    """The one place a status changes: checked against TRANSITIONS, saved and audited together."""
    previous = campaign.status
    if to not in TRANSITIONS[previous]:
        raise CampaignStateError(
            _("A campaign that is %(current)s cannot become %(next)s.")
            % {"current": CampaignStatus(previous).label, "next": CampaignStatus(to).label},
            extra={"status": previous},
        )
    campaign.status = to
    campaign.save()
    audit_record(
        actor=actor.user if actor else None,
        action=CampaignAuditAction.STATUS_CHANGED,
        target=campaign,
        data={"from": previous, "to": to, "revision": campaign.revision, **data},
        request=request,
        actor_username="" if actor else "system",
    )


@transaction.atomic
def campaign_create(*, actor: Staff, draft: CampaignDraft, request: HttpRequest | None = None) -> Campaign:
    """A draft campaign owned by the actor's part of the bank (HQ: the whole bank)."""
    _require_builder(actor)
    owner_branch = actor.branch
    draft = _with_rule_audience(draft, actor)
    segment, branches = campaign_draft_validate(draft, owner_branch=owner_branch, actor=actor)
    campaign = Campaign.objects.create(owner_branch=owner_branch, created_by=actor, **_fields(draft, segment))
    campaign.branches.set(branches)
    _write_variants(campaign, draft)
    audit_record(
        actor=actor.user,
        action=CampaignAuditAction.CREATED,
        target=campaign,
        data={"name": campaign.name, "purpose": campaign.purpose, "kind": campaign.kind},
        request=request,
    )
    return campaign


@transaction.atomic
def campaign_update(
    *, actor: Staff, campaign_id: int, draft: CampaignDraft, request: HttpRequest | None = None
) -> Campaign:
    """A new revision. Under review it goes back to draft; approved or scheduled, back to review."""
    _require_builder(actor)
    campaign = _locked(campaign_id, actor)
    if campaign.status not in EDITABLE:
        raise CampaignStateError(
            _("A campaign that is %(current)s can no longer be edited.")
            % {"current": CampaignStatus(campaign.status).label},
            extra={"status": campaign.status},
        )
    draft = _with_rule_audience(draft, actor)
    segment, branches = campaign_draft_validate(draft, owner_branch=campaign.owner_branch, actor=actor)
    for name, value in _fields(draft, segment).items():
        setattr(campaign, name, value)
    campaign.revision += 1
    campaign.save()
    campaign.branches.set(branches)
    _write_variants(campaign, draft)
    audit_record(
        actor=actor.user,
        action=CampaignAuditAction.EDITED,
        target=campaign,
        data={"revision": campaign.revision, "status": campaign.status},
        request=request,
    )
    if campaign.status == S.IN_REVIEW:
        _move(campaign, S.DRAFT, actor=actor, request=request, reason="edited")
    elif campaign.status in (S.APPROVED, S.SCHEDULED):
        _submit(campaign, actor=actor, request=request, reason="edited after approval")
    return campaign


@dataclass(frozen=True)
class VariantHit:
    """A compliance hit in one variant's text, or in an attachment's title or description."""

    variant: str
    hit: ContentHit
    # Empty for the text itself; otherwise the attachment's title.
    attachment: str = ""


def campaign_content_hits(campaign: Campaign) -> list[VariantHit]:
    """Every variant's text and its attachments' titles and descriptions, against one version of the library."""
    library = library_current()
    hits = []
    for variant in campaign.variants.order_by("label"):
        hits += [VariantHit(variant=variant.label, hit=hit) for hit in library.check(variant.text)]
        for link in variant.attachment_links.select_related("item").order_by("position"):
            for text in (link.item.title, link.item.description):
                hits += [VariantHit(variant.label, hit, attachment=link.item.title) for hit in library.check(text)]
    return hits


def _compliance_gate(campaign: Campaign) -> dict[str, int]:
    """Refuse a text with a blocking hit, naming each hit and where it is; count the rest for review."""
    hits = campaign_content_hits(campaign)
    blocking = [h for h in hits if h.hit.blocks]
    if blocking:
        where = "；".join(
            (
                _("variant %(label)s, attachment “%(title)s”: “%(matched)s”")
                % {"label": h.variant, "title": h.attachment, "matched": h.hit.matched}
                if h.attachment
                else _("variant %(label)s, characters %(start)d–%(end)d: “%(matched)s”")
                % {"label": h.variant, "start": h.hit.start + 1, "end": h.hit.end, "matched": h.hit.matched}
            )
            for h in blocking
        )
        raise ApplicationError(
            _("The text contains words compliance does not allow: %(where)s.") % {"where": where},
            extra={
                "field": "variants",
                "hits": [
                    {
                        "variant": h.variant,
                        "attachment": h.attachment,
                        "start": h.hit.start,
                        "end": h.hit.end,
                        "matched": h.hit.matched,
                        "category": h.hit.category,
                        "action": h.hit.action,
                    }
                    for h in blocking
                ],
            },
        )
    return {"review_hits": len(hits)}


def _submit(campaign: Campaign, *, actor: Staff, request: HttpRequest | None, **data: Any) -> None:
    data |= _compliance_gate(campaign)
    campaign.submitted_by = actor
    campaign.submitted_at = timezone.now()
    campaign.approved_revision = None
    campaign.review_note = ""
    _move(campaign, S.IN_REVIEW, actor=actor, request=request, **data)


@transaction.atomic
def campaign_submit(*, actor: Staff, campaign_id: int, request: HttpRequest | None = None) -> Campaign:
    """Send the campaign to compliance for review."""
    _require_builder(actor)
    campaign = _locked(campaign_id, actor)
    _submit(campaign, actor=actor, request=request)
    return campaign


def _reviewing(actor: Staff, campaign_id: int) -> Campaign:
    if actor.role != Role.COMPLIANCE:
        raise ApplicationError(_("Only compliance reviews campaigns."))
    campaign = _locked(campaign_id, actor, to_review=True)
    if actor.pk in (campaign.created_by_id, campaign.submitted_by_id):
        raise ApplicationError(_("A campaign is reviewed by someone other than its author."))
    return campaign


@transaction.atomic
def campaign_approve(*, actor: Staff, campaign_id: int, note: str = "", request: HttpRequest | None = None) -> Campaign:
    campaign = _reviewing(actor, campaign_id)
    text_require_plain(note, field="note")
    campaign.approved_revision = campaign.revision
    campaign.reviewed_by = actor
    campaign.reviewed_at = timezone.now()
    campaign.review_note = note.strip()[:REVIEW_NOTE_MAX_LENGTH]
    _move(campaign, S.APPROVED, actor=actor, request=request)
    return campaign


@transaction.atomic
def campaign_reject(*, actor: Staff, campaign_id: int, reason: str, request: HttpRequest | None = None) -> Campaign:
    campaign = _reviewing(actor, campaign_id)
    text_require_plain(reason, field="reason")
    if not reason.strip():
        raise _refuse(_("Say why the campaign is rejected."), "reason")
    if len(reason) > REVIEW_NOTE_MAX_LENGTH:
        raise _refuse(_("The reason holds at most %(limit)d characters.") % {"limit": REVIEW_NOTE_MAX_LENGTH}, "reason")
    campaign.reviewed_by = actor
    campaign.reviewed_at = timezone.now()
    campaign.review_note = reason.strip()
    _move(campaign, S.REJECTED, actor=actor, request=request, reason=campaign.review_note)
    return campaign


@transaction.atomic
def campaign_schedule(*, actor: Staff, campaign_id: int, request: HttpRequest | None = None) -> Campaign:
    """Put an approved campaign on the calendar; it dispatches at its start (at once for "now")."""
    _require_builder(actor)
    campaign = _locked(campaign_id, actor)
    if campaign.status == S.APPROVED and not campaign.approved_as_is:
        raise CampaignStateError(_("The campaign changed after its approval; submit it again."))
    if campaign.schedule_kind != ScheduleKind.NOW and campaign.start_at and campaign.start_at <= timezone.now():
        raise _refuse(_("The start time has passed; edit the campaign to set a new one."), "start_at")
    _move(campaign, S.SCHEDULED, actor=actor, request=request)
    return campaign


@transaction.atomic
def campaign_cancel(
    *, actor: Staff, campaign_id: int, reason: str = "", request: HttpRequest | None = None
) -> Campaign:
    _require_builder(actor)
    text_require_plain(reason, field="reason")
    campaign = _locked(campaign_id, actor)
    _move(campaign, S.CANCELLED, actor=actor, request=request, reason=reason.strip()[:REVIEW_NOTE_MAX_LENGTH])
    return campaign


@transaction.atomic
def campaign_dispatch_begin(campaign_id: int) -> Campaign | None:
    """The dispatcher's claim: a scheduled campaign, approved exactly as it stands, becomes dispatching.

    Anything else (unapproved, edited since, cancelled, already dispatching) answers None and
    nothing moves: whatever calls the dispatch task, only an approved campaign goes out.
    """
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.status != S.SCHEDULED or not campaign.approved_as_is:
        return None
    _move(campaign, S.DISPATCHING, actor=None)
    return campaign


@transaction.atomic
def campaign_dispatch_finish(campaign_id: int, *, more_to_come: bool) -> Campaign | None:
    """Every WeCom task of the occurrence is answered: sent, or scheduled again for a recurring campaign."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id, status=S.DISPATCHING).first()
    if campaign is None:
        return None
    _move(campaign, S.SCHEDULED if more_to_come else S.SENT, actor=None)
    return campaign


@transaction.atomic
def campaign_complete(campaign_id: int) -> Campaign | None:
    """The result window is over: the results are final."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id, status=S.SENT).first()
    if campaign is None:
        return None
    _move(campaign, S.COMPLETED, actor=None)
    return campaign
