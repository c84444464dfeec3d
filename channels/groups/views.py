"""Customer group pages (客户群): the viewer's groups with their figures and recent joins and leaves, and one group."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from channels.groups import selectors
from channels.models import GroupStatus
from scrm.core.exceptions import ApplicationError
from scrm.core.pagination import next_page_url
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

_ANY = [("", pgettext_lazy("filter", "All"))]


class GroupFilterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Group name"), max_length=128, required=False)
    owner = forms.CharField(
        label=pgettext_lazy("customer group", "Owner"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Employee number or full name."),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[*_ANY, *GroupStatus.choices])

    def filters(self) -> selectors.GroupFilters:
        data = self.cleaned_data
        return selectors.GroupFilters(name=data["name"].strip(), owner=data["owner"].strip(), status=data["status"])


class GroupListPage(RoleRequiredMixin, View):
    template_name = "channels/groups/list.html"
    rows_template_name = "channels/groups/_rows.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = GroupFilterForm(request.GET)
        context: dict[str, Any] = {
            "form": form,
            "groups": [],
            "show_owner_filter": self.staff.role != Role.RM,
            "recent_days": selectors.RECENT_DAYS,
        }
        status = 200
        if not form.is_valid():
            context["error"] = _("Some filters are not valid; correct them and search again.")
            status = 400
        else:
            try:
                page = selectors.group_page(user=request.user, filters=form.filters(), cursor=request.GET.get("cursor"))
            except ApplicationError as error:
                context["error"] = error.message
                status = 400
            else:
                context["groups"] = page.groups
                if page.next_cursor:
                    context["next_url"] = next_page_url(request, page.next_cursor)
        if getattr(request, "htmx", False) and status == 200:
            response = render(request, self.rows_template_name, context)
        else:
            context["events"] = selectors.group_recent_events(user=request.user)
            response = render(request, self.template_name, context, status=status)
        patch_vary_headers(response, ("HX-Request",))
        return response


class GroupDetailPage(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        group = selectors.group_for_viewer(user=request.user, pk=pk)
        if group is None:
            raise Http404
        return render(
            request,
            "channels/groups/detail.html",
            {
                "group": group,
                "members": selectors.group_member_rows(user=request.user, group=group),
                "events": selectors.group_recent_events(user=request.user, group=group),
                "recent_days": selectors.RECENT_DAYS,
            },
        )
