from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from analytics import selectors
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for
from scrm.org.selectors import staff_for_user


class HomeView(LoginRequiredMixin, TemplateView):
    """The home page (工作台): each role's own figures, every one inside the viewer's scope."""

    template_name = "analytics/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["staff"] = staff_for_user(user=user)
        # The scope line on the page says whether an RM's figures include the outlet pool.
        context["rm_sees_outlet_pool"] = settings.RM_SEES_OUTLET_POOL
        scope = data_scope_for(user)
        if scope is None:
            return context
        context["customers"] = selectors.home_customer_count(user=user)
        if scope.role in (Role.RM, Role.BRANCH_MANAGER):
            context["new_contacts"] = selectors.home_new_contacts_this_week(user=user)
            context["verification"] = selectors.home_verification_rate(user=user)
            context["maturities_count"] = selectors.home_maturities_count(user=user)
            context["maturities"] = selectors.home_maturities(user=user)
            context["maturity_days"] = selectors.MATURITY_WINDOW_DAYS
        if scope.role == Role.RM:
            context["timeline"] = selectors.home_timeline(user=user)
        elif scope.role == Role.BRANCH_MANAGER:
            context["rm_table"] = selectors.home_rm_table(user=user)
        elif scope.role == Role.HQ_ADMIN:
            chart = selectors.home_acquisition_by_channel(user=user)
            context["acquisition"] = chart
            context["acquisition_data"] = chart.as_json()
            context["verification"] = selectors.home_verification_rate(user=user)
            context["verification_by_branch"] = selectors.home_verification_by_branch(user=user)
            context["tag_coverage"] = selectors.home_tag_coverage(user=user)
            context["imports"] = selectors.home_imports_latest(user=user)
            context["rule_run"] = selectors.home_rule_run_latest()
            context["staff_count"] = selectors.home_staff_count(user=user)
            context["branch_count"] = selectors.home_branch_count(user=user)
        elif scope.role == Role.COMPLIANCE:
            context["reveals"] = selectors.home_reveals_recent()
            context["chain"] = selectors.home_chain_status()
            context["open_violations"] = selectors.home_open_violations(user=user)
        return context
