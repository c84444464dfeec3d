"""Writes for segments: the definition, frozen snapshots of its members, audited exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import CustomerAuditAction
from customers.models import Segment, SegmentSnapshot, SegmentSnapshotMember
from customers.segments.definition import segment_definition_compile
from customers.segments.export import ExportFormat, csv_chunks, export_fits, export_rows, xlsx_chunks
from customers.segments.selectors import segment_members
from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.core.db_routing import replica_alias_for_read
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Staff

NAME_MAX_LENGTH: int = Segment._meta.get_field("name").max_length or 0


def _clean_name(name: str) -> str:
    name = text_require_plain(name.strip(), field="name")
    if not name:
        raise ApplicationError(_("A segment needs a name."), {"field": "name"})
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            _("The name must be at most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}, {"field": "name"}
        )
    return name


def _clean_definition(definition: Any) -> dict[str, Any]:
    """Validated against today's catalogue; stored in its normalised form."""
    return segment_definition_compile(definition, on=timezone.localdate()).definition.as_json()


@transaction.atomic
def segment_create(*, name: str, description: str = "", definition: Any, actor: Staff) -> Segment:
    segment = Segment.objects.create(
        name=_clean_name(name),
        description=text_require_plain(description.strip(), field="description"),
        definition=_clean_definition(definition),
        created_by=actor,
    )
    _audit_saved(segment=segment, actor=actor, before=None)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, name: str, description: str = "", definition: Any, actor: Staff) -> Segment:
    """Replace the definition. Snapshots taken earlier keep the members they froze."""
    before = _audited_fields(segment)
    segment.name = _clean_name(name)
    segment.description = text_require_plain(description.strip(), field="description")
    segment.definition = _clean_definition(definition)
    segment.save(update_fields=["name", "description", "definition", "updated_at"])
    _audit_saved(segment=segment, actor=actor, before=before)
    return segment


def _audited_fields(segment: Segment) -> dict[str, Any]:
    return {"name": segment.name, "description": segment.description, "definition": segment.definition}


def _audit_saved(*, segment: Segment, actor: Staff, before: dict[str, Any] | None) -> None:
    audit_record(
        actor=actor.user,
        action=CustomerAuditAction.SEGMENT_SAVE,
        target=segment,
        data={"before": before, "after": _audited_fields(segment)},
    )


@transaction.atomic
def segment_delete(*, segment: Segment, actor: Staff) -> None:
    segment.delete()


_SNAPSHOT_SQL = """
INSERT INTO {members_table} (snapshot_id, customer_id)
SELECT %s, member.id FROM ({members}) AS member
"""


@transaction.atomic
def segment_snapshot_create(*, segment: Segment, actor: Staff) -> SegmentSnapshot:
    """Freeze the members the actor may see, now, with one ``INSERT … SELECT``.

    Later changes to customers, tags or the definition do not alter the snapshot:
    it is what a campaign sends to.
    """
    members = segment_members(segment_or_definition=segment, user=actor.user)
    snapshot = SegmentSnapshot.objects.create(segment=segment, created_by=actor)
    members_sql, params = members.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _SNAPSHOT_SQL.format(members_table=SegmentSnapshotMember._meta.db_table, members=members_sql),
            [snapshot.pk, *params],
        )
        snapshot.member_count = cursor.rowcount
    snapshot.save(update_fields=["member_count"])
    return snapshot


@dataclass(frozen=True)
class SegmentExport:
    filename: str
    content_type: str
    row_count: int
    chunks: Iterator[bytes]


def segment_export(
    *,
    segment: Segment,
    user: AbstractBaseUser | AnonymousUser,
    format: ExportFormat,
    request: HttpRequest | None = None,
) -> SegmentExport:
    """The segment's members in the user's scope as a file, PII masked; audited first.

    The audit row (segment, format, row count; never a customer value) is committed
    before any byte is produced: an export that cannot be audited does not happen.
    The file itself is produced lazily as the caller iterates ``chunks``. The count and
    the rows are read on the database replica when it may serve (scrm.core.db_routing),
    both from the same server, so the audited row count is the file's.
    """
    members = segment_members(segment_or_definition=segment, user=user).using(replica_alias_for_read(max_age=0))
    row_count = members.count()
    export_fits(format, row_count)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditAction.EXPORT,
            target=segment,
            data={"kind": "segment_members", "segment_id": segment.pk, "format": str(format), "row_count": row_count},
            request=request,
        )
    rows = export_rows(members)
    chunks = csv_chunks(rows) if format is ExportFormat.CSV else xlsx_chunks(rows, sheet_title=segment.name)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return SegmentExport(
        filename=f"segment-{segment.pk}-{stamp}.{format}",
        content_type=format.content_type,
        row_count=row_count,
        chunks=chunks,
    )
