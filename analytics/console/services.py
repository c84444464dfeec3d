"""The compliance console's one write: recording an export of the audit log before it is sent."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest

from scrm.audit.models import AuditAction, AuditEvent
from scrm.audit.selectors import AuditLogFilters, audit_log_count
from scrm.audit.services import audit_record

# A bigger extract is a job for the auditors' own copy of the database, not a download.
AUDIT_EXPORT_MAX_ROWS = 100_000


def audit_log_export_record(
    *, actor: AbstractBaseUser | AnonymousUser, filters: AuditLogFilters, request: HttpRequest | None = None
) -> AuditEvent:
    """Audit the export of the filtered log (its filters and row count) before a row of it is sent.

    The export then holds the rows below the returned event's sequence: itself and
    whatever is appended while it streams are not part of it.
    """
    rows = audit_log_count(filters=filters, limit=AUDIT_EXPORT_MAX_ROWS)
    with transaction.atomic():
        return audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            target_type="audit.auditevent",
            data={"kind": "audit_log", "format": "csv", "filters": filters.as_params(), "row_count": rows},
            request=request,
        )
