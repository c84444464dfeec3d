"""Segment pages: the list of segments and one segment with its live count and sample."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from customers.models import Segment
from customers.segments.export import ExportFormat
from customers.segments.selectors import (
    segment_list,
    segment_member_count,
    segment_member_sample,
    segment_tags,
)
from scrm.core.exceptions import ApplicationError


class SegmentListPage(LoginRequiredMixin, ListView):
    template_name = "customers/segments/list.html"
    context_object_name = "segments"

    def get_queryset(self) -> Any:
        return segment_list()


class SegmentDetailPage(LoginRequiredMixin, DetailView):
    template_name = "customers/segments/detail.html"
    context_object_name = "segment"

    def get_object(self, queryset: Any = None) -> Segment:
        return get_object_or_404(segment_list(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        segment = self.object
        context["tags"] = segment_tags(segment=segment)
        rule = segment.definition.get("rule")
        context["rule_json"] = json.dumps(rule, ensure_ascii=False, indent=2) if rule else ""
        context["export_formats"] = list(ExportFormat)
        try:
            context["member_count"] = segment_member_count(segment_or_definition=segment, user=self.request.user)
            context["sample"] = segment_member_sample(segment_or_definition=segment, user=self.request.user)
        except ApplicationError as error:
            context["error"] = error.message
        return context
