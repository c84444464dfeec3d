"""Writes of campaign results: the recipient export, audited before a byte leaves, masked, in the exporter's scope."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from campaigns.audit import CampaignAuditAction
from campaigns.models import Campaign, CampaignRecipient
from customers.pii import pii_masked
from customers.segments.export import ROWS_PER_FETCH, ExportFormat, csv_chunks, export_fits, xlsx_chunks
from customers.selectors import customer_list_visible
from scrm.audit.services import audit_record
from scrm.core.db_routing import replica_alias_for_read
from scrm.pii import PiiKind

# WeCom's per-recipient outcomes of get_groupmsg_send_result, as the reader's language says them.
SEND_STATUS_LABELS = {0: _lazy("Not sent"), 1: _lazy("Delivered"), 2: _lazy("Not a friend"), 3: _lazy("Over quota")}


@dataclass(frozen=True)
class RecipientExport:
    filename: str
    content_type: str
    row_count: int
    chunks: Iterator[bytes]


def _header() -> list[str]:
    return [
        _("Occurrence"),
        _("Customer number"),
        _("Customer name"),
        _("Customer's outlet"),
        _("RM"),
        _("Group"),
        _("Delivery"),
        _("Delivered at"),
    ]


def _rows(recipients: Iterable[tuple[Any, ...]]) -> Iterator[list[str]]:
    for sequence, customer_no, name, branch, sender, variant, holdout, status, sent_at in recipients:
        yield [
            str(sequence),
            customer_no,
            pii_masked(name, kind=PiiKind.NAME) or "",
            branch or "",
            sender or "",
            _("Holdout") if holdout else variant,
            "" if holdout or status is None else str(SEND_STATUS_LABELS.get(status, status)),
            timezone.localtime(sent_at).strftime("%Y-%m-%d %H:%M") if sent_at else "",
        ]


def campaign_recipients_export(
    *,
    campaign: Campaign,
    user: AbstractBaseUser | AnonymousUser,
    format: ExportFormat,
    request: HttpRequest | None = None,
) -> RecipientExport:
    """The recipients the user may see (held-out ones included), PII masked; the audit row commits first.

    Count and rows come from one server: the database replica when it may serve (scrm.core.db_routing).
    """
    recipients = CampaignRecipient.objects.using(replica_alias_for_read(max_age=0)).filter(
        occurrence__campaign=campaign, customer__in=customer_list_visible(user=user)
    )
    row_count = recipients.count()
    export_fits(format, row_count)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=CampaignAuditAction.RECIPIENTS_EXPORTED,
            target=campaign,
            data={"format": str(format), "row_count": row_count},
            request=request,
        )
    values = (
        recipients.order_by("occurrence__sequence", "customer_id")
        .values_list(
            "occurrence__sequence",
            "customer__customer_no",
            "customer__name_cipher",
            "customer__branch__name",
            "sender__name",
            "variant",
            "holdout",
            "send_status",
            "sent_at",
        )
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    rows = _rows(values)
    chunks = (
        csv_chunks(rows, header=_header())
        if format is ExportFormat.CSV
        else xlsx_chunks(rows, sheet_title=campaign.name, header=_header())
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return RecipientExport(
        filename=f"campaign-{campaign.pk}-recipients-{stamp}.{format}",
        content_type=format.content_type,
        row_count=row_count,
        chunks=chunks,
    )
