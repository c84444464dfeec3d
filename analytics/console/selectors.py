"""The compliance console's reads: audit rows shaped for the page and the CSV, in Chinese, masked.

The trail itself is read through ``scrm.audit.selectors`` (filters, keyset pages); this
module only turns rows into what a compliance officer reads: the action's label, the
customer number, the revealed field's name, and the details with any phone or ID
number that slipped into free text (a stated purpose) masked.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from customers.models import ConsentPurpose, ImportKind, TagKind
from scrm.audit.actions import audit_action_label, audit_actions_registered
from scrm.audit.models import AuditAction, AuditEvent
from scrm.pii import PiiKind
from scrm.pii.log_masking import pii_mask_text

# The personal-information fields a reveal names.
_PII_FIELD_LABELS: dict[str, Promise] = {
    PiiKind.NAME: pgettext_lazy("person", "Name"),
    PiiKind.PHONE: gettext_lazy("Phone"),
    PiiKind.ID_NUMBER: gettext_lazy("ID number"),
}

# Detail keys the page names in words; the rest are shown only in the raw (masked) record.
_DETAIL_LABELS: dict[str, Promise] = {
    "field": gettext_lazy("Field"),
    "purpose": gettext_lazy("Purpose"),
    "kind": gettext_lazy("Kind"),
    "format": gettext_lazy("Format"),
    "row_count": pgettext_lazy("row count", "Rows"),
    "name": gettext_lazy("Name"),
    "title": gettext_lazy("Title"),
    "reason": gettext_lazy("Reason"),
    "revision": gettext_lazy("Revision"),
}

# What each export kind is called.
_EXPORT_KINDS: dict[str, Promise] = {
    "audit_log": pgettext_lazy("export kind", "Audit log"),
    "segment_members": pgettext_lazy("export kind", "Segment members"),
}

_HIDDEN_KEYS = {"customer_no"}


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


@dataclass(frozen=True)
class AuditRow:
    sequence: int
    occurred_at: datetime.datetime
    actor: str
    action: str
    action_label: str
    customer_no: str
    # A reveal's field (in words) and stated purpose (masked); empty for other actions.
    field: str
    purpose: str
    details: list[Detail]
    # The whole data record, masked, for what has no label of its own.
    raw: str
    ip_address: str


def _masked(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return pii_mask_text(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))
    return pii_mask_text(str(value))


# Stored codes a detail may hold, in words: what was exported or imported, a tag's kind, consent purposes.
_CODED_VALUES: dict[str, dict[str, Any]] = {
    "kind": {**_EXPORT_KINDS, **dict(ImportKind.choices), **dict(TagKind.choices)},
    "purpose": dict(ConsentPurpose.choices),
}


def _detail_value(key: str, value: Any) -> str:
    if key == "field" and str(value) in _PII_FIELD_LABELS:
        return str(_PII_FIELD_LABELS[str(value)])
    if str(value) in _CODED_VALUES.get(key, {}):
        return str(_CODED_VALUES[key][str(value)])
    if key == "format":
        return str(value).upper()
    return _masked(value)


def audit_row(event: AuditEvent) -> AuditRow:
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    details = [
        Detail(label=str(label), value=_detail_value(key, data[key]))
        for key, label in _DETAIL_LABELS.items()
        if key in data and data[key] not in ("", None)
    ]
    shown = set(_DETAIL_LABELS) | _HIDDEN_KEYS
    rest = {key: value for key, value in data.items() if key not in shown}
    return AuditRow(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor=event.actor_username or _("System"),
        action=event.action,
        action_label=audit_action_label(event.action),
        customer_no=str(data.get("customer_no", "")),
        field=_detail_value("field", data["field"]) if "field" in data else "",
        purpose=_masked(data["purpose"]) if "purpose" in data else "",
        details=details,
        raw=_masked(rest) if rest else "",
        ip_address=event.ip_address or "",
    )


def audit_rows(events: Iterable[AuditEvent]) -> list[AuditRow]:
    return [audit_row(event) for event in events]


@dataclass(frozen=True)
class ActionChoice:
    value: str
    label: str


def audit_action_choices() -> list[ActionChoice]:
    """Every registered action with its label in the active language, sorted by label."""
    return sorted(
        (ActionChoice(value=value, label=audit_action_label(value)) for value in audit_actions_registered()),
        key=lambda choice: choice.label,
    )


def audit_csv_header() -> list[str]:
    return [
        _("Sequence"),
        _("Time"),
        _("User"),
        pgettext("audit", "Action"),
        _("Customer number"),
        _("Details"),
        _("Other details"),
        _("IP address"),
    ]


_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_TRIGGERS) else value


def audit_csv_rows(events: Iterable[AuditEvent]) -> Iterator[list[str]]:
    zone = timezone.get_current_timezone()
    for event in events:
        row = audit_row(event)
        yield [
            _cell(value)
            for value in (
                str(row.sequence),
                row.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                row.actor,
                row.action_label,
                row.customer_no,
                "；".join(f"{detail.label}：{detail.value}" for detail in row.details),
                row.raw,
                row.ip_address,
            )
        ]


def reveal_action() -> str:
    return str(AuditAction.PII_REVEAL)
