"""Script pages: head office's library editor (the chat sidebar's panel is the workbench's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from campaigns.models import Script, ScriptKind
from campaigns.scripts import selectors, services
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

HQ_ONLY = frozenset({Role.HQ_ADMIN})


class ScriptForm(forms.Form):
    category = forms.ModelChoiceField(queryset=selectors.script_categories_list(), label=gettext_lazy("Category"))
    title = forms.CharField(max_length=100, label=gettext_lazy("Title"))
    kind = forms.ChoiceField(choices=ScriptKind.choices, label=gettext_lazy("Kind"))
    content = forms.CharField(
        max_length=services.SCRIPT_CONTENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=gettext_lazy("Content"),
    )
    link_url = forms.URLField(max_length=500, required=False, assume_scheme="https", label=gettext_lazy("Link"))
    sort_order = forms.IntegerField(
        min_value=0, max_value=services.SORT_ORDER_MAX, initial=0, label=gettext_lazy("Sort order")
    )
    is_active = forms.BooleanField(required=False, initial=True, label=gettext_lazy("In use"))


class ScriptLibraryPage(RoleRequiredMixin, View):
    """话术库: every script, active or not, with search and the category shelf editor."""

    allowed_roles = HQ_ONLY

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")
        context = {
            "categories": selectors.script_categories_list(),
            "scripts": selectors.scripts_list(query=query, active_only=False),
            "query": query,
        }
        return render(request, "campaigns/scripts/library.html", context)


class ScriptEditPage(RoleRequiredMixin, View):
    """Create (no ``pk``) or edit a script."""

    allowed_roles = HQ_ONLY

    def _script(self, pk: int | None) -> Script | None:
        if pk is None:
            return None
        try:
            return selectors.script_get(script_id=pk)
        except Script.DoesNotExist as error:
            raise Http404 from error

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        script = self._script(pk)
        initial: dict[str, Any] = {}
        if script is not None:
            initial = {name: getattr(script, name) for name in ScriptForm.base_fields}
        form = ScriptForm(initial=initial or {"is_active": True, "sort_order": 0, "kind": ScriptKind.TEXT})
        return render(request, "campaigns/scripts/edit.html", {"form": form, "script": script})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        script = self._script(pk)
        form = ScriptForm(request.POST)
        if form.is_valid():
            try:
                if script is None:
                    services.script_create(actor=self.staff, request=request, **form.cleaned_data)
                else:
                    services.script_update(script=script, actor=self.staff, changes=form.cleaned_data, request=request)
            except ApplicationError as error:
                form.add_error(
                    error.extra.get("field") if error.extra.get("field") in form.fields else None, error.message
                )
            else:
                messages.success(request, _("Script saved."))
                return redirect("script-library")
        return render(request, "campaigns/scripts/edit.html", {"form": form, "script": script}, status=400)


class ScriptDeleteView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        script = get_object_or_404(selectors.scripts_list(active_only=False), pk=pk)
        services.script_delete(script=script, actor=self.staff, request=request)
        messages.success(request, _("Script deleted."))
        return redirect("script-library")


class ScriptCategoryCreateView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.script_category_create(name=request.POST.get("name", ""), actor=self.staff)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Category added."))
        return redirect("script-library")


class ScriptCategoryDeleteView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        category = get_object_or_404(selectors.script_categories_list(), pk=pk)
        try:
            services.script_category_delete(category=category, actor=self.staff)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Category deleted."))
        return redirect("script-library")
