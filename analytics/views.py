from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from analytics import selectors, services
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
        context.update(services.home_page_figures(user=user))
        context["maturity_days"] = selectors.MATURITY_WINDOW_DAYS
        return context
