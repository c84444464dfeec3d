"""Reads of the chat archive for compliance: where ingestion stands and what it refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from risk.compliance.archive.models import ArchiveCursor, ArchiveRefusedRecord
from risk.compliance.archive.services import archive_lag, archive_lag_level, archive_partitions

REFUSED_SHOWN = 50


@dataclass(frozen=True)
class ArchiveStatus:
    cursor: ArchiveCursor | None
    lag_seconds: float | None
    lag_level: str
    warn_hours: float
    critical_hours: float
    partitions: list[str]
    retention_months: int
    refused: QuerySet[ArchiveRefusedRecord]

    @property
    def lag_hours(self) -> float | None:
        return None if self.lag_seconds is None else round(self.lag_seconds / 3600, 1)


def archive_status(*, now: datetime | None = None) -> ArchiveStatus:
    """The corp's cursor, lag and alarm level, partitions and the latest refused records."""
    cursor = ArchiveCursor.objects.filter(corp_id=settings.WECOM_CORP_ID).first()
    lag = archive_lag(cursor, now=now or timezone.now()) if cursor is not None else None
    return ArchiveStatus(
        cursor=cursor,
        lag_seconds=lag,
        lag_level=archive_lag_level(lag),
        warn_hours=settings.ARCHIVE_LAG_WARN_HOURS,
        critical_hours=settings.ARCHIVE_LAG_CRITICAL_HOURS,
        partitions=archive_partitions(),
        retention_months=settings.ARCHIVE_RETENTION_MONTHS,
        refused=ArchiveRefusedRecord.objects.filter(corp_id=settings.WECOM_CORP_ID).order_by("-refused_at", "-seq")[
            :REFUSED_SHOWN
        ],
    )
