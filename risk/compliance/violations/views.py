"""Violation pages (违规复核): the queue with its filters and per-RM figures, one violation with its conversation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from risk.compliance.violations import selectors, services
from risk.compliance.violations.access import QUEUE_READERS, RESCANNERS, REVIEWERS
from risk.compliance.violations.models import Rule, Severity, Violation, ViolationStatus
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch
from scrm.org.scoping import data_scope_for
from scrm.org.views import RoleRequiredMixin

PAGE_SIZE = 50


def _role_flags(request: HttpRequest) -> dict[str, bool]:
    scope = data_scope_for(request.user)
    role = scope.role if scope else None
    return {"can_review": role in REVIEWERS, "can_rescan": role in RESCANNERS}


class ViolationQueuePage(RoleRequiredMixin, View):
    allowed_roles = QUEUE_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        error = ""
        try:
            filters = selectors.violation_filters_parse(params=request.GET, user=request.user)
        except ApplicationError as problem:
            error, filters = problem.message, selectors.ViolationFilters()
        violations = selectors.violations_list(user=request.user, filters=filters)
        page = Paginator(violations, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context: dict[str, Any] = {
            "page": page,
            "filter_query": query.urlencode(),
            "values": request.GET,
            "filter_error": error,
            "branches": Branch.objects.visible_to(request.user).only("id", "name", "depth"),
            "severities": Severity.choices,
            "rules": Rule.choices,
            "statuses": ViolationStatus.choices,
            "officers": selectors.compliance_officers(),
            "figures": selectors.rm_figures(user=request.user, branch=filters.branch, limit=20),
            "rescan": selectors.rescan_latest(),
            **_role_flags(request),
        }
        return render(request, "risk/violations/queue.html", context, status=400 if error else 200)


class RescanView(RoleRequiredMixin, View):
    """GET: the rescan's progress (an htmx fragment that polls itself while it runs); POST: start one."""

    allowed_roles = RESCANNERS

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "risk/violations/_rescan.html", {"rescan": selectors.rescan_latest(), "can_rescan": True}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        services.violations_rescan_start(actor=self.staff, request=request)
        if request.headers.get("HX-Request"):
            return self.get(request)
        messages.success(request, _("The rescan has started."))
        return redirect("violation-queue")


def _violation(request: HttpRequest, pk: int) -> Violation:
    try:
        return selectors.violation_get(user=request.user, violation_id=pk)
    except Violation.DoesNotExist as error:
        raise Http404 from error


def _detail(request: HttpRequest, violation: Violation, *, status: int = 200, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "violation": violation,
        "conversation": selectors.violation_conversation(violation=violation),
        "officers": selectors.compliance_officers(),
        "review_error": "",
        "assign_error": "",
        "reason": "",
        **_role_flags(request),
        **extra,
    }
    return render(request, "risk/violations/detail.html", context, status=status)


class ViolationDetailPage(RoleRequiredMixin, View):
    allowed_roles = QUEUE_READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return _detail(request, _violation(request, pk))


class ViolationReviewView(RoleRequiredMixin, View):
    allowed_roles = REVIEWERS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        violation = _violation(request, pk)
        reason = request.POST.get("reason", "")
        try:
            services.violation_review(
                violation_id=violation.pk,
                decision=request.POST.get("decision", ""),
                reason=reason,
                actor=self.staff,
                request=request,
            )
        except ApplicationError as error:
            return _detail(request, violation, status=400, review_error=error.message, reason=reason[:500])
        messages.success(request, _("The violation has been reviewed."))
        return redirect("violation-detail-page", pk=violation.pk)


class ViolationAssignView(RoleRequiredMixin, View):
    allowed_roles = REVIEWERS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        violation = _violation(request, pk)
        value = request.POST.get("assignee", "").strip()
        try:
            if value and not value.isdigit():
                raise ApplicationError(_("A violation is assigned to an active compliance officer."))
            services.violation_assign(
                violation_id=violation.pk,
                assignee_id=int(value) if value else None,
                actor=self.staff,
                request=request,
            )
        except ApplicationError as error:
            return _detail(request, violation, status=400, assign_error=error.message)
        messages.success(request, _("The assignment has been saved."))
        return redirect("violation-detail-page", pk=violation.pk)
