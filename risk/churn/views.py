"""Churn pages: the promoted model and its evaluation, versions (HQ admins), bands by branch,
the at-risk list; and the churn panel the customer 360 page loads by URL."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from customers.models import Customer
from risk.churn import selectors, services
from risk.churn.models import ChurnModel
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

CHURN_VIEWERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})


class ChurnPage(RoleRequiredMixin, View):
    allowed_roles = CHURN_VIEWERS

    def get(self, request: HttpRequest) -> HttpResponse:
        is_hq_admin = self.staff.role == Role.HQ_ADMIN
        model = selectors.churn_model_promoted()
        context = {
            "model": model,
            "reason_labels": selectors.FEATURE_LABELS,
            "features": [selectors.feature_label(feature) for feature in model.features] if model else [],
            "versions": list(selectors.churn_models_list()) if is_hq_admin else [],
            "is_hq_admin": is_hq_admin,
            "bands": selectors.churn_bands_by_branch(viewer=request.user),
            "at_risk": selectors.churn_at_risk_list(viewer=request.user),
        }
        return render(request, "risk/churn/page.html", context)


class ChurnModelPromoteView(RoleRequiredMixin, View):
    allowed_roles = frozenset({Role.HQ_ADMIN})

    def post(self, request: HttpRequest, version: int) -> HttpResponse:
        model = get_object_or_404(ChurnModel, version=version)
        try:
            services.churn_model_promote(model=model, actor=self.staff, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Version %(version)s now scores every customer.") % {"version": version})
        return redirect("churn-page")


class ChurnModelRollbackView(RoleRequiredMixin, View):
    allowed_roles = frozenset({Role.HQ_ADMIN})

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            model = services.churn_model_rollback(actor=self.staff, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Rolled back to version %(version)s.") % {"version": model.version})
        return redirect("churn-page")


class CustomerChurnPanel(RoleRequiredMixin, View):
    """htmx: the churn card of the customer 360 page (customers does not import risk, so it loads this by URL)."""

    def get(self, request: HttpRequest, customer_no: str) -> HttpResponse:
        try:
            churn = selectors.customer_churn_get(customer_no=customer_no, viewer=request.user)
        except Customer.DoesNotExist as error:
            raise Http404 from error
        return render(request, "risk/churn/_customer_panel.html", {"churn": churn})
