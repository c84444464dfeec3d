"""The compliance console (合规审计): the audit log, the reveal history, the export and the chain check.

For compliance and HQ admins. Thin: ``scrm.audit.selectors`` filters and pages the trail,
``analytics.console.selectors`` shapes rows, the services write the audit rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from analytics.console.selectors import (
    audit_action_choices,
    audit_csv_header,
    audit_csv_rows,
    audit_rows,
    reveal_action,
)
from analytics.console.services import AUDIT_EXPORT_MAX_ROWS, audit_log_export_record
from analytics.selectors import home_chain_status
from scrm.audit.selectors import (
    AuditLogFilters,
    audit_log_cursor_parse,
    audit_log_filters_parse,
    audit_log_iter,
    audit_log_page,
)
from scrm.audit.services import chain_check_request
from scrm.core.db_routing import replica_alias_for_read
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

CONSOLE_ROLES = frozenset({Role.COMPLIANCE, Role.HQ_ADMIN})


def _log_context(request: HttpRequest, *, fixed_action: str = "") -> tuple[dict[str, Any], int]:
    error = ""
    try:
        filters = audit_log_filters_parse(params=request.GET, fixed_action=fixed_action)
        before = audit_log_cursor_parse(request.GET.get("before"))
    except ApplicationError as problem:
        error, filters, before = problem.message, AuditLogFilters(action=fixed_action), None
    page = audit_log_page(filters=filters, before=before)
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "rows": audit_rows(page.rows),
        "next_before": page.next_before,
        "first_page": before is not None,
        "filter_query": query.urlencode(),
        "filters": filters,
        "export_params": filters.as_params(),
        "values": request.GET,
        "filter_error": error,
        "actions": audit_action_choices(),
    }
    return context, 400 if error else 200


class AuditLogPage(RoleRequiredMixin, View):
    allowed_roles = CONSOLE_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        context, status = _log_context(request)
        return render(request, "analytics/console/audit_log.html", context, status=status)


class RevealHistoryPage(RoleRequiredMixin, View):
    """Who saw which customer's which field in full, when, and the purpose they gave."""

    allowed_roles = CONSOLE_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        context, status = _log_context(request, fixed_action=reveal_action())
        return render(request, "analytics/console/reveals.html", context, status=status)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(header: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark, so spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


class AuditLogExportView(RoleRequiredMixin, View):
    """POST: the filtered log as CSV (at most ``AUDIT_EXPORT_MAX_ROWS`` rows), the export audited first."""

    allowed_roles = CONSOLE_ROLES

    def post(self, request: HttpRequest) -> HttpResponseBase:
        try:
            filters = audit_log_filters_parse(params=request.POST)
        except ApplicationError as problem:
            context, _status = _log_context(request)
            context["filter_error"] = problem.message
            return render(request, "analytics/console/audit_log.html", context, status=400)
        export = audit_log_export_record(actor=request.user, filters=filters, request=request)
        # The replica serves only once it has replayed the export's own audit row, so it holds
        # every row below it (scrm.core.db_routing); else the primary does.
        events = audit_log_iter(
            filters=filters,
            limit=AUDIT_EXPORT_MAX_ROWS,
            before=export.sequence,
            using=replica_alias_for_read(max_age=0),
        )
        response = StreamingHttpResponse(
            _csv_stream(audit_csv_header(), audit_csv_rows(events)), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        return response


class ChainCheckView(RoleRequiredMixin, View):
    """GET: the chain's status (an htmx fragment that polls itself while a check runs); POST: check now."""

    allowed_roles = CONSOLE_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "analytics/console/_chain_status.html", chain_status_context())

    def post(self, request: HttpRequest) -> HttpResponse:
        chain_check_request(actor=request.user, request=request)
        if not request.headers.get("HX-Request"):
            return redirect("audit-log")
        return render(request, "analytics/console/_chain_status.html", chain_status_context())


def chain_status_context() -> dict[str, Any]:
    return {"chain": home_chain_status()}
