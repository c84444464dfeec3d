"""The contacts page (客户联系人): the viewer's WeCom contacts, a row per relation, filtered, in keyset pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from channels.contacts import selectors
from channels.contacts.add_ways import AddWay
from channels.models import RelationStatus
from scrm.core.exceptions import ApplicationError
from scrm.core.pagination import next_page_url
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

_ANY = [("", pgettext_lazy("filter", "All"))]


class ContactFilterForm(forms.Form):
    rm = forms.CharField(
        label=gettext_lazy("RM"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Employee number or full name."),
    )
    verified = forms.ChoiceField(
        label=gettext_lazy("Verification"),
        required=False,
        choices=[*_ANY, ("verified", gettext_lazy("Verified customers")), ("lead", gettext_lazy("Leads"))],
    )
    channel = forms.TypedChoiceField(
        label=gettext_lazy("Channel code"), required=False, coerce=int, empty_value=None, choices=_ANY
    )
    add_way = forms.TypedChoiceField(
        label=gettext_lazy("Add way"), required=False, coerce=int, empty_value=None, choices=[*_ANY, *AddWay.choices]
    )
    status = forms.ChoiceField(label=gettext_lazy("Relation"), required=False, choices=[*_ANY, *RelationStatus.choices])

    def __init__(self, *args: Any, channels: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [*_ANY, *channels]  # type: ignore[attr-defined]

    def filters(self) -> selectors.ContactFilters:
        data = self.cleaned_data
        return selectors.ContactFilters(
            rm=data["rm"].strip(),
            verified={"verified": True, "lead": False}.get(data["verified"]),
            channel_id=data["channel"],
            add_way=data["add_way"],
            status=data["status"],
        )


class ContactListPage(RoleRequiredMixin, View):
    template_name = "channels/contacts/list.html"
    rows_template_name = "channels/contacts/_rows.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ContactFilterForm(request.GET, channels=selectors.contact_channel_options(user=request.user))
        context: dict[str, Any] = {"form": form, "rows": [], "show_rm_filter": self.staff.role != Role.RM}
        status = 200
        if not form.is_valid():
            context["error"] = _("Some filters are not valid; correct them and search again.")
            status = 400
        else:
            try:
                page = selectors.contact_relation_page(
                    user=request.user, filters=form.filters(), cursor=request.GET.get("cursor")
                )
            except ApplicationError as error:
                context["error"] = error.message
                status = 400
            else:
                context["rows"] = page.rows
                if page.next_cursor:
                    context["next_url"] = next_page_url(request, page.next_cursor)
        template = self.rows_template_name if getattr(request, "htmx", False) and status == 200 else self.template_name
        response = render(request, template, context, status=status)
        patch_vary_headers(response, ("HX-Request",))
        return response
