"""Writes for tags: the catalogue, manual tagging in bulk, rules and their batch runs.

Bulk work is set-based: one statement tags or untags every customer a (scoped)
queryset selects and writes the matching timeline events in the same statement.
"""

from __future__ import annotations

import datetime
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import CustomerAuditAction
from customers.events import CustomerTagsChanged
from customers.models import (
    Customer,
    CustomerTag,
    JobStatus,
    Tag,
    TagBulkAction,
    TagBulkJob,
    TagBulkJobCustomer,
    TagGroup,
    TagKind,
    TagRule,
    TagRuleRun,
    TagRuleRunRange,
    TimelineKind,
)
from customers.rules import RuleError, SharedLeaves, batch_rows_sql
from customers.selectors import customer_list_visible, customers_by_ids_for_system
from customers.tagging.rules import rule_compile
from customers.timeline.services import timeline_insert_sql
from scrm.audit.services import audit_record
from scrm.core import events
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Staff

logger = logging.getLogger(__name__)

# Customer ids per range task: small enough that a retry is cheap, large enough
# that per-task overhead is noise.
DEFAULT_RANGE_SIZE = 250_000


# --- Catalogue --------------------------------------------------------------------


COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
NAME_MAX_LENGTH = 64
DESCRIPTION_MAX_LENGTH = 500


def _generated_code(*, prefix: str, model: type[Tag] | type[TagGroup]) -> str:
    """An internal code for a new tag or group: nobody types it and nobody is shown it."""
    while True:
        code = f"{prefix}_{secrets.token_hex(4)}"
        if not model.objects.filter(code=code).exists():
            return code


def _clean_name(name: str) -> str:
    name = text_require_plain(" ".join(name.split()), field="name")
    if not name:
        raise ApplicationError(_("Enter a name."), extra={"field": "name"})
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            _("A name holds at most %(limit)s characters.") % {"limit": NAME_MAX_LENGTH}, extra={"field": "name"}
        )
    return name


def _clean_description(description: str) -> str:
    description = text_require_plain(description.strip(), field="description")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ApplicationError(
            _("A description holds at most %(limit)s characters.") % {"limit": DESCRIPTION_MAX_LENGTH},
            extra={"field": "description"},
        )
    return description


def _clean_color(color: str) -> str:
    if not COLOR_PATTERN.match(color or ""):
        raise ApplicationError(_("Choose a colour such as #1f6feb."), extra={"field": "color"})
    return color.lower()


def _clean_kind(kind: str) -> TagKind:
    try:
        return TagKind(kind)
    except ValueError as error:
        raise ApplicationError(_("Choose a kind of tag."), extra={"field": "kind"}) from error


def _audit_actor(actor: Staff | None) -> Any:
    return actor.user if actor is not None else None


def _changes(instance: Tag | TagGroup, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed fields; the old and new value of each (a group by its code), for the audit row."""

    def plain(value: Any) -> Any:
        return value.code if isinstance(value, TagGroup) else value

    changed: dict[str, dict[str, Any]] = {}
    for field, value in values.items():
        old = getattr(instance, field)
        if plain(old) != plain(value):
            changed[field] = {"old": plain(old), "new": plain(value)}
            setattr(instance, field, value)
    return changed


@transaction.atomic
def tag_group_create(
    *,
    name: str,
    code: str = "",
    description: str = "",
    exclusive: bool = False,
    kind: TagKind | str = TagKind.MANUAL,
    color: str = "#1f6feb",
    sort_order: int = 0,
    actor: Staff | None = None,
) -> TagGroup:
    """A new tag group; without a code one is generated (codes stay internal)."""
    name = _clean_name(name)
    description = _clean_description(description)
    color, kind = _clean_color(color), _clean_kind(kind)
    if code and TagGroup.objects.filter(code=code).exists():
        raise ApplicationError(_("A tag group with this code already exists."), extra={"field": "code"})
    if TagGroup.objects.filter(name=name).exists():
        raise ApplicationError(
            _("A tag group named %(name)s already exists.") % {"name": name}, extra={"field": "name"}
        )
    group = TagGroup.objects.create(
        code=code or _generated_code(prefix="g", model=TagGroup),
        name=name,
        description=description,
        exclusive=exclusive,
        kind=kind,
        color=color,
        sort_order=sort_order,
    )
    audit_record(
        actor=_audit_actor(actor),
        action=CustomerAuditAction.TAG_GROUP_CREATED,
        target=group,
        data={"code": group.code, "name": name, "exclusive": exclusive, "kind": kind.value, "color": color},
    )
    return group


@transaction.atomic
def tag_group_update(
    *,
    group: TagGroup,
    name: str,
    description: str,
    exclusive: bool,
    kind: TagKind | str,
    color: str,
    actor: Staff,
) -> TagGroup:
    """Change a group. It becomes exclusive only if no customer holds two of its tags,
    and changes kind only while none of its tags is of another kind."""
    name = _clean_name(name)
    description = _clean_description(description)
    color, kind = _clean_color(color), _clean_kind(kind)
    group = TagGroup.objects.select_for_update().get(pk=group.pk)
    if TagGroup.objects.filter(name=name).exclude(pk=group.pk).exists():
        raise ApplicationError(
            _("A tag group named %(name)s already exists.") % {"name": name}, extra={"field": "name"}
        )
    if kind != group.kind and Tag.objects.filter(group=group).exclude(kind=kind).exists():
        raise ApplicationError(
            _("The group already has tags of another kind, so its kind cannot change."), extra={"field": "kind"}
        )
    if exclusive and not group.exclusive:
        doubled = (
            CustomerTag.objects.filter(tag__group=group)
            .values("customer_id")
            .annotate(tags=Count("id"))
            .filter(tags__gt=1)
            .count()
        )
        if doubled:
            raise ApplicationError(
                _(
                    "%(count)s customers hold more than one tag of this group, so it cannot become "
                    "one tag per customer. Remove the extra tags first."
                )
                % {"count": doubled},
                extra={"field": "exclusive", "customers": doubled},
            )
    changed = _changes(
        group, {"name": name, "description": description, "exclusive": exclusive, "kind": kind.value, "color": color}
    )
    if changed:
        group.save(update_fields=list(changed))
        audit_record(
            actor=_audit_actor(actor),
            action=CustomerAuditAction.TAG_GROUP_CHANGED,
            target=group,
            data={"code": group.code, "changes": changed},
        )
    return group


@transaction.atomic
def tag_create(
    *,
    group: TagGroup,
    name: str,
    code: str = "",
    kind: TagKind | str | None = None,
    color: str | None = None,
    description: str = "",
    actor: Staff | None = None,
) -> Tag:
    """A new tag of a group: of the group's kind and colour unless told otherwise; a code is generated."""
    name = _clean_name(name)
    description = _clean_description(description)
    kind = _clean_kind(kind if kind is not None else group.kind)
    color = _clean_color(color if color is not None else group.color)
    if code and Tag.objects.filter(code=code).exists():
        raise ApplicationError(_("A tag with this code already exists."), extra={"field": "code"})
    if Tag.objects.filter(name=name).exists():
        raise ApplicationError(_("A tag named %(name)s already exists.") % {"name": name}, extra={"field": "name"})
    tag = Tag.objects.create(
        group=group,
        code=code or _generated_code(prefix="t", model=Tag),
        name=name,
        kind=kind,
        color=color,
        description=description,
    )
    audit_record(
        actor=_audit_actor(actor),
        action=CustomerAuditAction.TAG_CREATED,
        target=tag,
        data={"code": tag.code, "name": name, "group": group.code, "kind": kind.value, "color": color},
    )
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, name: str, color: str, description: str, group: TagGroup, actor: Staff) -> Tag:
    """Change a tag's name, colour, description or group (a group of the tag's own kind)."""
    name = _clean_name(name)
    description = _clean_description(description)
    color = _clean_color(color)
    tag = Tag.objects.select_for_update().select_related("group").get(pk=tag.pk)
    if Tag.objects.filter(name=name).exclude(pk=tag.pk).exists():
        raise ApplicationError(_("A tag named %(name)s already exists.") % {"name": name}, extra={"field": "name"})
    if group.pk != tag.group_id:
        if group.kind != tag.kind:
            raise ApplicationError(
                _("A tag moves only to a group of its own kind (%(kind)s).") % {"kind": TagKind(tag.kind).label},
                extra={"field": "group"},
            )
        if group.exclusive:
            doubled = (
                CustomerTag.objects.filter(tag__group=group, customer__tag_links__tag=tag).values("customer_id").count()
            )
            if doubled:
                raise ApplicationError(
                    _(
                        "%(count)s customers already hold a tag of that one-per-customer group as well as this tag, "
                        "so it cannot move there."
                    )
                    % {"count": doubled},
                    extra={"field": "group", "customers": doubled},
                )
    changed = _changes(tag, {"name": name, "color": color, "description": description, "group": group})
    if changed:
        tag.save(update_fields=list(changed))
        audit_record(
            actor=_audit_actor(actor),
            action=CustomerAuditAction.TAG_CHANGED,
            target=tag,
            data={"code": tag.code, "changes": changed},
        )
    return tag


@transaction.atomic
def tag_active_set(*, tag: Tag, active: bool, actor: Staff) -> Tag:
    """Retire a tag (no longer offered or given; customers keep it) or bring it back."""
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    if tag.is_active == active:
        return tag
    tag.is_active = active
    tag.save(update_fields=["is_active"])
    audit_record(
        actor=_audit_actor(actor),
        action=CustomerAuditAction.TAG_REACTIVATED if active else CustomerAuditAction.TAG_RETIRED,
        target=tag,
        data={"code": tag.code, "name": tag.name},
    )
    return tag


# --- Manual tagging ------------------------------------------------------------------


@dataclass(frozen=True)
class TaggingResult:
    tagged: int
    untagged: int


def _selected_ids_sql(customers: QuerySet[Customer]) -> tuple[str, tuple[Any, ...]] | None:
    """The selection as SQL, or None when Django already knows it is empty (and writes no SQL:
    a search for a branch that does not exist, a name nobody has)."""
    try:
        sql, params = customers.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


_UNTAG_SQL = """
WITH selected AS ({selected}),
removed AS (
    DELETE FROM customers_customertag ct
    USING selected s
    WHERE ct.customer_id = s.id AND ct.tag_id = ANY(%s)
    RETURNING ct.customer_id, ct.tag_id
),
events AS ({events})
SELECT count(*), min(customer_id), max(customer_id) FROM removed
""".replace(
    "{events}",
    timeline_insert_sql(
        """
    SELECT r.customer_id, %s, %s, %s, t.name,
           jsonb_build_object('tag', t.code, 'source', %s::text, 'reason', %s::text)
    FROM removed r JOIN customers_tag t ON t.id = r.tag_id"""
    ),
)

_TAG_SQL = """
WITH selected AS ({selected}),
added AS (
    INSERT INTO customers_customertag (customer_id, tag_id, source, created_at, created_by_id)
    SELECT s.id, %s, %s, %s, %s FROM selected s
    ON CONFLICT (customer_id, tag_id) DO NOTHING
    RETURNING customer_id
),
events AS ({events})
SELECT count(*), min(customer_id), max(customer_id) FROM added
""".replace(
    "{events}",
    timeline_insert_sql(
        """
    SELECT a.customer_id, %s, %s, %s, %s, jsonb_build_object('tag', %s::text, 'source', %s::text, 'reason', %s::text)
    FROM added a"""
    ),
)


def _tags_changed(changed: int, first_id: int | None, last_id: int | None) -> int:
    """Tell the apps above that these customers' tags changed (one event per statement); the count."""
    if changed and first_id is not None and last_id is not None:
        events.publish(CustomerTagsChanged(first_customer_id=first_id, last_customer_id=last_id))
    return changed


def _untag(*, customers: QuerySet[Customer], tag_ids: list[int], actor: Staff | None, source: str, reason: str) -> int:
    selection = _selected_ids_sql(customers)
    if selection is None:
        return 0
    selected, params = selection
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _UNTAG_SQL.format(selected=selected),
            (*params, tag_ids, TimelineKind.UNTAGGED, now, actor.pk if actor else None, source, reason),
        )
        removed, first_id, last_id = cursor.fetchone()
    return _tags_changed(int(removed), first_id, last_id)


@transaction.atomic
def customer_tags_assign(*, customers: QuerySet[Customer], tag: Tag, actor: Staff, reason: str = "") -> TaggingResult:
    """Tag every customer the (already scoped) queryset selects; in an exclusive group,
    the customer's other tags of that group are removed first."""
    if tag.kind != TagKind.MANUAL:
        raise ApplicationError(
            _("%(tag)s is a %(kind)s tag; only manual tags are given by hand.")
            % {"tag": tag.name, "kind": TagKind(tag.kind).label},
            extra={"tag": tag.code},
        )
    return _tag(customers=customers, tag=tag, actor=actor, source=TagKind.MANUAL, reason=reason)


@transaction.atomic
def customer_channel_tags_add(*, customer_id: int, tags: list[Tag], actor: Staff | None, reason: str) -> int:
    """Give a customer the channel tags their WeCom contact carries (on identity linking); returns how many were new."""
    wrong = [tag.code for tag in tags if tag.kind != TagKind.CHANNEL]
    if wrong:
        raise ApplicationError("Only channel tags come from a channel.", extra={"tags": wrong})
    customers = customers_by_ids_for_system(customer_ids=[customer_id])
    return sum(
        _tag(customers=customers, tag=tag, actor=actor, source=TagKind.CHANNEL, reason=reason).tagged
        for tag in sorted(tags, key=lambda tag: tag.code)
        if tag.is_active
    )


def _tag(
    *, customers: QuerySet[Customer], tag: Tag, actor: Staff | None, source: TagKind, reason: str
) -> TaggingResult:
    """Tag the selection; in an exclusive group the customers' other tags of the group go first."""
    if not tag.is_active:
        raise ApplicationError(_("%(tag)s is retired.") % {"tag": tag.name}, extra={"tag": tag.code})
    untagged = 0
    if tag.group.exclusive:
        siblings = list(Tag.objects.filter(group_id=tag.group_id).exclude(pk=tag.pk).values_list("id", flat=True))
        if siblings:
            untagged = _untag(customers=customers, tag_ids=siblings, actor=actor, source="exclusive", reason=reason)
    selection = _selected_ids_sql(customers)
    if selection is None:
        return TaggingResult(tagged=0, untagged=untagged)
    selected, params = selection
    now = timezone.now()
    actor_id = actor.pk if actor else None
    with connection.cursor() as cursor:
        cursor.execute(
            _TAG_SQL.format(selected=selected),
            (
                *params,
                tag.pk,
                source,
                now,
                actor_id,
                TimelineKind.TAGGED,
                now,
                actor_id,
                tag.name,
                tag.code,
                source.value,
                reason,
            ),
        )
        added, first_id, last_id = cursor.fetchone()
    return TaggingResult(tagged=_tags_changed(int(added), first_id, last_id), untagged=untagged)


@transaction.atomic
def customer_tags_remove(*, customers: QuerySet[Customer], tag: Tag, actor: Staff, reason: str = "") -> TaggingResult:
    if tag.kind != TagKind.MANUAL:
        raise ApplicationError(
            _("%(tag)s is a %(kind)s tag; only manual tags are removed by hand.")
            % {"tag": tag.name, "kind": TagKind(tag.kind).label},
            extra={"tag": tag.code},
        )
    untagged = _untag(customers=customers, tag_ids=[tag.pk], actor=actor, source=TagKind.MANUAL, reason=reason)
    return TaggingResult(tagged=0, untagged=untagged)


# --- Bulk tagging of a search result, on the bulk queue ---------------------------------

BULK_CHUNK_SIZE = 50_000


def tag_require_manual(*, tag: Tag) -> None:
    """Only an active manual tag is given or taken away by hand."""
    if tag.kind != TagKind.MANUAL:
        raise ApplicationError(
            _("%(tag)s is a %(kind)s tag; only manual tags are given by hand.")
            % {"tag": tag.name, "kind": TagKind(tag.kind).label},
            extra={"field": "tag"},
        )
    if not tag.is_active:
        raise ApplicationError(_("%(tag)s is retired.") % {"tag": tag.name}, extra={"field": "tag"})


_FREEZE_SQL = """
INSERT INTO customers_tagbulkjobcustomer (job_id, customer_id)
SELECT %s, s.id FROM ({selected}) s
ON CONFLICT (job_id, customer_id) DO NOTHING
"""


@transaction.atomic
def tag_bulk_job_start(
    *,
    customers: QuerySet[Customer],
    tag: Tag,
    action: TagBulkAction | str,
    actor: Staff,
    reason: str = "",
    request: HttpRequest | None = None,
) -> TagBulkJob:
    """Freeze the (already scoped) selection by id and hand it to a worker; audited.

    Only ids are kept: no search value (a phone, a name) is stored with the job.
    """
    try:
        action = TagBulkAction(action)
    except ValueError as error:
        raise ApplicationError(_("Choose whether to add or remove the tag."), extra={"field": "action"}) from error
    tag_require_manual(tag=tag)
    reason = text_require_plain(" ".join(reason.split()), field="reason")[:200]
    job = TagBulkJob.objects.create(tag=tag, action=action, created_by=actor, reason=reason)
    selection = _selected_ids_sql(customers)
    selected = 0
    if selection is not None:
        sql, params = selection
        with connection.cursor() as cursor:
            cursor.execute(_FREEZE_SQL.format(selected=sql), (job.pk, *params))
            selected = cursor.rowcount
    if not selected:
        raise ApplicationError(_("The search finds no customers to change."), extra={"field": "filters"})
    job.selected = selected
    job.save(update_fields=["selected"])
    audit_record(
        actor=actor.user,
        action=CustomerAuditAction.BULK_TAGGING_STARTED,
        target=job,
        data={"tag": tag.code, "action": action.value, "selected": selected},
        request=request,
    )
    from customers.tagging import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: tasks.tag_bulk_job_run_task.delay(job.pk))
    return job


def tag_bulk_job_run(*, job_id: int, chunk_size: int = BULK_CHUNK_SIZE) -> None:
    """Tag or untag the job's customers chunk by chunk; safe to run twice or to resume.

    Each chunk commits together with the cursor it advances and the counters, under the
    job's row lock: a duplicate task waits and then finds the chunk done, a retried one
    starts after the last committed chunk. The customers are read through the scope of
    the member who started the job, as it is now.
    """
    now = timezone.now()
    TagBulkJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    while True:
        with transaction.atomic():
            job = (
                TagBulkJob.objects.select_for_update(of=("self",))
                .select_related("tag__group", "created_by__user")
                .get(pk=job_id)
            )
            if job.status != JobStatus.RUNNING:
                return
            remaining = TagBulkJobCustomer.objects.filter(job_id=job_id, customer_id__gt=job.cursor)
            last = (
                remaining.order_by("customer_id")
                .values_list("customer_id", flat=True)[chunk_size - 1 : chunk_size]
                .first()
            )
            chunk = remaining.filter(customer_id__lte=last) if last is not None else remaining
            count = chunk.count()
            if count == 0:
                _tag_bulk_job_finish(job=job)
                return
            customers = customer_list_visible(user=job.created_by.user).filter(id__in=chunk.values("customer_id"))
            change = customer_tags_assign if job.action == TagBulkAction.ASSIGN else customer_tags_remove
            try:
                result = change(customers=customers, tag=job.tag, actor=job.created_by, reason=job.reason or "bulk")
            except ApplicationError as error:
                # The tag was retired or changed kind meanwhile: nothing of this chunk was written.
                job.status, job.error, job.finished_at = JobStatus.FAILED, error.message, timezone.now()
                job.save(update_fields=["status", "error", "finished_at"])
                return
            job.cursor = (
                last if last is not None else chunk.order_by("-customer_id").values_list("customer_id", flat=True)[0]
            )
            job.processed = F("processed") + count
            job.tagged = F("tagged") + result.tagged
            job.untagged = F("untagged") + result.untagged
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["cursor", "processed", "tagged", "untagged", "heartbeat_at"])


def tag_bulk_job_sweep(
    *,
    silent_for: datetime.timedelta = datetime.timedelta(minutes=5),
    queued_for: datetime.timedelta = datetime.timedelta(hours=1),
) -> list[int]:
    """Hand to a worker again every bulk job whose task was lost; their ids.

    A chunk being written holds the job's row lock, so a running job that is not locked
    and has committed nothing for ``silent_for`` lost its worker; a job still queued an
    hour on may have lost its message. The task resumes after the last committed chunk,
    so a duplicate does no harm.
    """
    from customers.tagging import tasks  # the tasks module imports this one

    now = timezone.now()
    with transaction.atomic():
        lost = list(
            TagBulkJob.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - silent_for)
                | Q(status=JobStatus.QUEUED, created_at__lt=now - queued_for)
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
    for job_id in lost:
        tasks.tag_bulk_job_run_task.delay(job_id)
    if lost:
        logger.info("bulk tagging sweep re-enqueued count=%s", len(lost))
    return lost


def _tag_bulk_job_finish(*, job: TagBulkJob) -> None:
    job.status, job.finished_at = JobStatus.SUCCEEDED, timezone.now()
    job.save(update_fields=["status", "finished_at"])
    TagBulkJobCustomer.objects.filter(job_id=job.pk).delete()
    audit_record(
        actor=job.created_by.user,
        action=CustomerAuditAction.BULK_TAGGING_FINISHED,
        target=job,
        data={
            "tag": job.tag.code,
            "action": job.action,
            "selected": job.selected,
            "processed": job.processed,
            "tagged": job.tagged,
            "untagged": job.untagged,
        },
    )


# --- Model tags --------------------------------------------------------------------------


_MODEL_TAGS_SQL = """
WITH desired AS (
    SELECT d.customer_id, d.tag_id FROM unnest(%(customers)s::bigint[], %(tags)s::bigint[]) AS d(customer_id, tag_id)
),
removed AS (
    DELETE FROM customers_customertag ct
    WHERE ct.customer_id BETWEEN %(low)s AND %(high)s AND ct.tag_id = ANY(%(group_tags)s)
      AND NOT EXISTS (SELECT 1 FROM desired d WHERE d.customer_id = ct.customer_id AND d.tag_id = ct.tag_id)
    RETURNING ct.customer_id, ct.tag_id
),
added AS (
    INSERT INTO customers_customertag (customer_id, tag_id, source, created_at)
    SELECT d.customer_id, d.tag_id, 'model', %(now)s FROM desired d
    JOIN customers_customer c ON c.id = d.customer_id
    ON CONFLICT (customer_id, tag_id) DO NOTHING
    RETURNING customer_id, tag_id
),
events AS ({events})
SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM removed)
""".replace(
    "{events}",
    timeline_insert_sql(
        """
    SELECT changed.customer_id, changed.kind, %(now)s, NULL::bigint, t.name,
           jsonb_build_object('tag', t.code, 'source', 'model')
    FROM (
        SELECT customer_id, tag_id, 'tagged' AS kind FROM added
        UNION ALL
        SELECT customer_id, tag_id, 'untagged' AS kind FROM removed
    ) changed
    JOIN customers_tag t ON t.id = changed.tag_id"""
    ),
)


@transaction.atomic
def customer_model_tags_set(
    *, group: TagGroup, id_range: tuple[int, int], customer_ids: list[int], tag_ids: list[int]
) -> TaggingResult:
    """Make the model tags of ``group`` on the customers with ids in ``id_range`` exactly these.

    ``customer_ids[i]`` gets ``tag_ids[i]``; every other tag of the group on a customer of
    the range goes. One statement for the whole range, with its timeline events; one
    ``CustomerTagsChanged`` for the range, so the tags reach WeCom like any other.
    """
    group_tags = dict(Tag.objects.filter(group=group).values_list("id", "kind"))
    if any(kind != TagKind.MODEL for kind in group_tags.values()) or not set(tag_ids) <= set(group_tags):
        raise ApplicationError("Only the model tags of this group are set by a model.", extra={"group": group.code})
    if len(customer_ids) != len(tag_ids):
        raise ApplicationError("Each customer needs exactly one tag.")
    low, high = id_range
    params: dict[str, Any] = {
        "customers": customer_ids,
        "tags": tag_ids,
        "low": low,
        "high": high,
        "group_tags": list(group_tags),
        "now": timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_MODEL_TAGS_SQL, params)
        added, removed = cursor.fetchone()
    _tags_changed(added + removed, low, high)
    return TaggingResult(tagged=int(added), untagged=int(removed))


# --- Rules -----------------------------------------------------------------------------


@transaction.atomic
def tag_rule_save(*, tag: Tag, definition: Any, actor: Staff, is_active: bool = True) -> TagRule:
    """Create or replace the rule of a rule tag. An invalid rule is refused with the reason."""
    if tag.kind != TagKind.RULE:
        raise ApplicationError(f"{tag.name} is not a rule tag.", extra={"tag": tag.code})
    try:
        rule_compile(definition, on=timezone.localdate())
    except RuleError as error:
        raise ApplicationError(_("Invalid rule: %(error)s") % {"error": error}, extra=error.as_extra()) from error
    before = TagRule.objects.filter(tag=tag).values("definition", "is_active").first()
    rule, _created = TagRule.objects.update_or_create(
        tag=tag, defaults={"definition": definition, "is_active": is_active, "created_by": actor}
    )
    audit_record(
        actor=actor.user,
        action=CustomerAuditAction.TAG_RULE_SAVE,
        target=rule,
        data={"tag": tag.code, "before": before, "after": {"definition": definition, "is_active": is_active}},
    )
    return rule


@transaction.atomic
def tag_rule_run_start(
    *,
    triggered_by: Staff | None = None,
    range_size: int = DEFAULT_RANGE_SIZE,
    on: datetime.date | None = None,
    customer_ids: tuple[int, int] | None = None,
) -> TagRuleRun:
    """Freeze the active rules, split the customer table into id ranges and enqueue one task per range.

    ``customer_ids`` (first, last) limits the run to the customers an import just wrote.
    """
    from customers.tagging import tasks  # the tasks module imports this one

    rules = [
        {"tag_id": rule.tag_id, "definition": rule.definition}
        for rule in TagRule.objects.filter(is_active=True, tag__is_active=True).order_by("tag_id")
    ]
    bounds = _customer_id_bounds()
    if bounds is not None and customer_ids is not None:
        low, high = max(bounds[0], customer_ids[0]), min(bounds[1], customer_ids[1])
        bounds = (low, high) if low <= high else None
    run = TagRuleRun.objects.create(
        status=JobStatus.RUNNING,
        triggered_by=triggered_by,
        evaluation_date=on or timezone.localdate(),
        rules=rules,
        rule_count=len(rules),
    )
    ranges = []
    if bounds is not None and rules:
        low, high = bounds
        ranges = [
            TagRuleRunRange(run=run, start_id=start, end_id=min(start + range_size - 1, high))
            for start in range(low, high + 1, range_size)
        ]
        TagRuleRunRange.objects.bulk_create(ranges)
    run.ranges_total = len(ranges)
    if not ranges:
        run.status, run.finished_at = JobStatus.SUCCEEDED, timezone.now()
    run.save(update_fields=["ranges_total", "status", "finished_at"])
    range_ids = list(run.ranges.values_list("id", flat=True))
    transaction.on_commit(lambda: [tasks.tag_rule_range_evaluate_task.delay(range_id) for range_id in range_ids])
    return run


def _customer_id_bounds() -> tuple[int, int] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_customer")
        low, high = cursor.fetchone()
    return None if low is None else (int(low), int(high))


# One statement per range: every rule over one scan of the range's customers, the diff
# against their current rule tags as bitmasks (one bigint per 63 rules), and only the
# differences written, with their timeline events.
_EVALUATE_RANGE_SQL = """
WITH evaluated AS (
    SELECT l.id, {desired}, {current}
    FROM (
        SELECT c.id, {leaf_columns}, {current_columns}
        FROM {customer_rows}
        WHERE c.id BETWEEN %s AND %s
        OFFSET 0  -- a fence: each leaf is computed once per customer, not once per rule using it
    ) l
),
changed AS (SELECT * FROM evaluated WHERE {differs}),
rule_bits AS (SELECT * FROM unnest(%s::bigint[], %s::int[], %s::bigint[]) AS b(tag_id, word, bit)),
-- Materialized: when nothing is to go (the steady state), the DELETE's join stops at once
-- instead of hashing the range's links for a handful of changed customers.
gone AS MATERIALIZED (
    SELECT ch.id AS customer_id, b.tag_id FROM changed ch JOIN rule_bits b ON {gone_bits} & b.bit <> 0
),
new AS (
    SELECT ch.id AS customer_id, b.tag_id FROM changed ch JOIN rule_bits b ON {new_bits} & b.bit <> 0
),
removed AS (
    DELETE FROM customers_customertag ct USING gone
    WHERE ct.customer_id BETWEEN %s AND %s
      AND ct.customer_id = gone.customer_id AND ct.tag_id = gone.tag_id
    RETURNING ct.customer_id, ct.tag_id
),
added AS (
    INSERT INTO customers_customertag (customer_id, tag_id, source, created_at)
    SELECT customer_id, tag_id, 'rule', %s FROM new
    ON CONFLICT (customer_id, tag_id) DO NOTHING
    RETURNING customer_id, tag_id
),
events AS ({events})
SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM removed)
""".replace(
    "{events}",
    timeline_insert_sql(
        """
    SELECT changed.customer_id, changed.kind, %s, NULL::bigint, t.name,
           jsonb_build_object('tag', t.code, 'source', 'rule')
    FROM (
        SELECT customer_id, tag_id, 'tagged' AS kind FROM added
        UNION ALL
        SELECT customer_id, tag_id, 'untagged' AS kind FROM removed
    ) changed
    JOIN customers_tag t ON t.id = changed.tag_id"""
    ),
)

_MASK_WORD_BITS = 63  # bits of a bigint mask word, leaving the sign bit alone


@dataclass(frozen=True)
class _CompiledRun:
    # (tag id, SQL condition over the shared leaf columns, parameters), in tag-id order.
    conditions: list[tuple[int, str, list[Any]]]
    leaves: SharedLeaves
    # Rule tags in one-tag-per-customer groups, by group, in tag-id order.
    exclusive_groups: list[list[int]]
    uses_holdings: bool
    tested_tag_ids: frozenset[int]

    @property
    def rule_tag_ids(self) -> list[int]:
        return [tag_id for tag_id, _, _ in self.conditions]


def _compile_run(run: TagRuleRun) -> _CompiledRun:
    """Compile the run's rules over one set of shared leaves."""
    leaves = SharedLeaves()
    compiled = sorted(
        (
            (rule["tag_id"], rule_compile(rule["definition"], on=run.evaluation_date, leaves=leaves))
            for rule in run.rules
        ),
        key=lambda item: item[0],
    )
    groups = dict(
        Tag.objects.filter(pk__in=[tag_id for tag_id, _ in compiled], group__exclusive=True).values_list(
            "id", "group_id"
        )
    )
    exclusive: dict[int, list[int]] = {}
    for tag_id, _condition in compiled:
        if tag_id in groups:
            exclusive.setdefault(groups[tag_id], []).append(tag_id)
    return _CompiledRun(
        conditions=[(tag_id, condition.sql, list(condition.params)) for tag_id, condition in compiled],
        leaves=leaves,
        exclusive_groups=list(exclusive.values()),
        uses_holdings=any(condition.uses_holdings for _, condition in compiled),
        tested_tag_ids=frozenset().union(*(condition.tested_tag_ids for _, condition in compiled)),
    )


def _desired_masks(compiled: _CompiledRun) -> tuple[list[str], list[Any]]:
    """One bigint expression per mask word: the bits of the rule tags the customer should carry.

    In an exclusive group a later rule only matches where no earlier rule of that group
    did (tag-id order), so a customer never gets two tags of one group: the group is one
    CASE whose first matching rule wins.
    """
    position = {tag_id: index for index, (tag_id, _, _) in enumerate(compiled.conditions)}
    condition_of = {tag_id: (sql, params) for tag_id, sql, params in compiled.conditions}
    in_group = {tag_id for group in compiled.exclusive_groups for tag_id in group}
    words = (len(compiled.conditions) + _MASK_WORD_BITS - 1) // _MASK_WORD_BITS
    terms: list[list[str]] = [[] for _ in range(words)]
    params: list[list[Any]] = [[] for _ in range(words)]

    def bit(tag_id: int, word: int) -> int:
        index = position[tag_id]
        return 1 << (index % _MASK_WORD_BITS) if index // _MASK_WORD_BITS == word else 0

    for tag_id, sql, condition_params in compiled.conditions:
        if tag_id in in_group:
            continue
        word = position[tag_id] // _MASK_WORD_BITS
        terms[word].append(f"CASE WHEN {sql} THEN {bit(tag_id, word)}::bigint ELSE 0::bigint END")
        params[word] += condition_params
    for group in compiled.exclusive_groups:
        for word in {position[tag_id] // _MASK_WORD_BITS for tag_id in group}:
            whens = []
            for tag_id in group:
                sql, condition_params = condition_of[tag_id]
                whens.append(f"WHEN {sql} THEN {bit(tag_id, word)}::bigint")
                params[word] += condition_params
            terms[word].append(f"CASE {' '.join(whens)} ELSE 0::bigint END")
    return [" | ".join(word_terms) or "0::bigint" for word_terms in terms], [p for word in params for p in word]


def _range_statement(
    compiled: _CompiledRun, *, on: datetime.date, bounds: tuple[int, int], now: datetime.datetime
) -> tuple[str, list[Any]]:
    """The one statement that evaluates every rule over an id range and writes the differences."""
    rule_tag_ids = compiled.rule_tag_ids
    mask_words = [
        rule_tag_ids[start : start + _MASK_WORD_BITS] for start in range(0, len(rule_tag_ids), _MASK_WORD_BITS)
    ]
    words = range(len(mask_words))
    desired, desired_params = _desired_masks(compiled)
    leaf_columns, leaf_params = compiled.leaves.select_sql()
    customer_rows, row_params = batch_rows_sql(
        on=on,
        holdings=compiled.uses_holdings,
        id_range=bounds,
        tag_ids=sorted({*rule_tag_ids, *compiled.tested_tag_ids}),
        mask_words=mask_words,
    )

    def of_word(column: str) -> str:
        if len(mask_words) == 1:
            return f"ch.{column}_0"
        return "(CASE b.word " + " ".join(f"WHEN {w} THEN ch.{column}_{w}" for w in words) + " END)"

    sql = _EVALUATE_RANGE_SQL.format(
        desired=", ".join(f"{expression} AS desired_{w}" for w, expression in enumerate(desired)),
        current=", ".join(f"l.current_{w}" for w in words),
        leaf_columns=leaf_columns or "true AS leaf_none",
        current_columns=", ".join(f"COALESCE(tf.mask_{w}, 0) AS current_{w}" for w in words),
        customer_rows=customer_rows,
        differs=" OR ".join(f"desired_{w} <> current_{w}" for w in words),
        gone_bits=f"({of_word('current')} & ~{of_word('desired')})",
        new_bits=f"({of_word('desired')} & ~{of_word('current')})",
    )
    bits = [
        (tag_id, index // _MASK_WORD_BITS, 1 << (index % _MASK_WORD_BITS)) for index, tag_id in enumerate(rule_tag_ids)
    ]
    params = [
        *desired_params,
        *leaf_params,
        *row_params,
        *bounds,
        [tag_id for tag_id, _, _ in bits],
        [word for _, word, _ in bits],
        [value for _, _, value in bits],
        *bounds,
        now,
        now,
    ]
    return sql, params


def tag_rule_range_evaluate(*, range_id: int) -> None:
    """Bring one id range's rule tags in line with the run's rules, exactly once.

    The range is claimed with a conditional UPDATE in the same transaction as the
    writes: a retried or duplicate task finds it done and does nothing; a task that
    dies mid-way rolls back and leaves the range to its retry, or, when the worker
    itself died, to the minute's sweep (``tag_rule_run_sweep``).
    """
    # Committed on its own, before the claim: the sweep tells a range whose worker died
    # (started, not done, not locked) from one whose task is still waiting in the queue.
    TagRuleRunRange.objects.filter(pk=range_id, done_at__isnull=True).update(started_at=timezone.now())
    with transaction.atomic():
        claimed = TagRuleRunRange.objects.filter(pk=range_id, done_at__isnull=True).update(done_at=timezone.now())
        if claimed != 1:
            logger.info("tag rule range already evaluated range_id=%s", range_id)
            return
        run_range = TagRuleRunRange.objects.select_related("run").get(pk=range_id)
        run = run_range.run
        compiled = _compile_run(run)
        bounds = (run_range.start_id, run_range.end_id)
        rule_tag_ids = compiled.rule_tag_ids
        sql, params = _range_statement(compiled, on=run.evaluation_date, bounds=bounds, now=timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            added, removed = cursor.fetchone()
        _tags_changed(added + removed, *bounds)
        TagRuleRunRange.objects.filter(pk=range_id).update(tags_added=added, tags_removed=removed)
        TagRuleRun.objects.filter(pk=run.pk).update(
            ranges_done=F("ranges_done") + 1,
            tags_added=F("tags_added") + added,
            tags_removed=F("tags_removed") + removed,
        )
        _finish_run_if_complete(run_id=run.pk, rule_tag_ids=rule_tag_ids)


def tag_rule_run_sweep(*, queued_for: datetime.timedelta = datetime.timedelta(hours=1)) -> list[int]:
    """Hand to a worker again every range of a running run whose task was lost; their ids.

    A range being evaluated is row-locked by its claim until it commits, so a range that
    was started, is not done and is not locked lost its worker (killed mid-way: the
    writes rolled back, the task message is stranded with the dead consumer until the
    broker's visibility timeout). A range never started an hour after its run began may
    have lost its message (a Redis restart). A duplicate task finds the range done.
    """
    from customers.tagging import tasks  # the tasks module imports this one

    with transaction.atomic():
        orphaned = list(
            TagRuleRunRange.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(run__status=JobStatus.RUNNING, done_at__isnull=True)
            .filter(
                Q(started_at__isnull=False)
                | Q(started_at__isnull=True, run__created_at__lt=timezone.now() - queued_for)
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
    for range_id in orphaned:
        tasks.tag_rule_range_evaluate_task.delay(range_id)
    if orphaned:
        logger.info("tag rule sweep re-enqueued count=%s", len(orphaned))
    return orphaned


def _finish_run_if_complete(*, run_id: int, rule_tag_ids: list[int]) -> None:
    finished = TagRuleRun.objects.filter(pk=run_id, status=JobStatus.RUNNING, ranges_done=F("ranges_total")).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now()
    )
    if finished != 1:
        return
    # Counted on the (tag, customer) index alone: the join from the tags that the ORM writes
    # for an annotated count reads every link row of the table.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tag_id, count(*) FROM customers_customertag WHERE tag_id = ANY(%s::bigint[]) GROUP BY tag_id",
            [rule_tag_ids],
        )
        counts = dict(cursor.fetchall())
    now = timezone.now()
    rules = list(TagRule.objects.filter(tag_id__in=rule_tag_ids))
    for rule in rules:
        rule.last_evaluated_at = now
        rule.last_match_count = counts.get(rule.tag_id, 0)
    TagRule.objects.bulk_update(rules, ["last_evaluated_at", "last_match_count"])
