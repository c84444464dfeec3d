"""Segment pages: the list, one segment with its live count and sample, and the builder.

The builder (HQ admins, and branch managers for their own subtree) creates and edits
segments through the segment services and previews an unsaved definition with the same
selectors as the segment page; the rule is built with the visual rule builder.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from customers.models import Segment
from customers.rules import FIELDS
from customers.rules.builder import rule_builder_schema, rule_describe, rule_problems_display
from customers.segments.export import ExportFormat
from customers.segments.forms import SegmentForm
from customers.segments.selectors import (
    segment_list,
    segment_list_editable,
    segment_member_count,
    segment_member_sample,
    segment_tags,
)
from customers.segments.services import segment_create, segment_update
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.selectors import data_scope
from scrm.org.views import RoleRequiredMixin

# Who defines segments: HQ admins any, branch managers those of their subtree
# (segment_list_editable); a branch manager's counts and samples stay within their scope.
BUILDERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})


def may_build_segments(request: HttpRequest) -> bool:
    scope = data_scope(user=request.user)
    return scope is not None and scope.role in BUILDERS


class SegmentListPage(LoginRequiredMixin, ListView):
    template_name = "customers/segments/list.html"
    context_object_name = "segments"

    def get_queryset(self) -> Any:
        return segment_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_build"] = may_build_segments(self.request)
        return context


class SegmentDetailPage(LoginRequiredMixin, DetailView):
    template_name = "customers/segments/detail.html"
    context_object_name = "segment"

    def get_object(self, queryset: Any = None) -> Segment:
        return get_object_or_404(segment_list(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        segment = self.object
        context["can_build"] = segment_list_editable(user=self.request.user).filter(pk=segment.pk).exists()
        context["tags"] = segment_tags(segment=segment)
        rule = segment.definition.get("rule")
        context["rule_text"] = rule_describe(definition=rule) if rule else ""
        context["export_formats"] = list(ExportFormat)
        try:
            context["member_count"] = segment_member_count(segment_or_definition=segment, user=self.request.user)
            context["sample"] = segment_member_sample(segment_or_definition=segment, user=self.request.user)
        except ApplicationError as error:
            context["error"] = error.message
        return context


class _SegmentBuilderPage(RoleRequiredMixin, View):
    """The builder form; subclasses say which segment it edits (none: a new one) and how it is saved."""

    allowed_roles = BUILDERS
    template_name = "customers/segments/form.html"

    def get_segment(self) -> Segment | None:
        return None

    def save(self, form: SegmentForm, segment: Segment | None) -> Segment:
        raise NotImplementedError

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        segment = self.get_segment()
        form = SegmentForm(initial=SegmentForm.initial_for(segment) if segment else None)
        return self.render_form(form, segment)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        segment = self.get_segment()
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                saved = self.save(form, segment)
            except ApplicationError as error:
                form.add_service_error(error)
                if segment is not None:
                    segment.refresh_from_db()  # the refused update may have changed it in memory
            else:
                messages.success(request, _("Segment saved."))
                return redirect("segment-page", pk=saved.pk)
        return self.render_form(form, segment, status=400)

    def render_form(self, form: SegmentForm, segment: Segment | None, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "segment": segment,
            "fields": FIELDS,
            "schema": rule_builder_schema(user=self.request.user),
            "problems": rule_problems_display(form.rule_problems),
        }
        return render(self.request, self.template_name, context, status=status)


class SegmentCreatePage(_SegmentBuilderPage):
    def save(self, form: SegmentForm, segment: Segment | None) -> Segment:
        return segment_create(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            definition=form.definition(),
            actor=self.staff,
        )


class SegmentEditPage(_SegmentBuilderPage):
    def get_segment(self) -> Segment:
        return get_object_or_404(segment_list_editable(user=self.request.user), pk=self.kwargs["pk"])

    def save(self, form: SegmentForm, segment: Segment | None) -> Segment:
        assert segment is not None
        return segment_update(
            segment=segment,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            definition=form.definition(),
            actor=self.staff,
        )


class SegmentPreviewPartial(RoleRequiredMixin, View):
    """htmx: how many customers in the viewer's scope the definition in the builder selects, and a masked sample."""

    allowed_roles = BUILDERS

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SegmentForm(request.POST)
        context: dict[str, Any] = {}
        if not form.is_valid() and (errors := form.definition_errors()):
            context["problems"] = rule_problems_display(form.rule_problems)
            context["errors"] = [
                error for error in errors if not form.rule_problems or error not in form.errors["rule"]
            ]
        else:
            definition = form.definition()
            try:
                context["count"] = segment_member_count(segment_or_definition=definition, user=request.user)
                context["sample"] = segment_member_sample(segment_or_definition=definition, user=request.user)
            except ApplicationError as error:
                form.add_service_error(error)
                context["problems"] = rule_problems_display(form.rule_problems)
                context["errors"] = [] if form.rule_problems else [error.message]
        return render(request, "customers/segments/_preview.html", context)
