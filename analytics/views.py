from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from analytics.selectors import home_summary
from scrm.org.selectors import staff_for_user


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "analytics/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["summary"] = home_summary(user=self.request.user)
        context["staff"] = staff_for_user(user=self.request.user)
        # The scope line on the page says whether an RM's figures include the outlet pool.
        context["rm_sees_outlet_pool"] = settings.RM_SEES_OUTLET_POOL
        return context
