"""Tag pages: the catalogue with scoped counts, the rule editor with live preview, batch runs."""

import json
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from customers.models import Tag, TagKind
from customers.rules import FIELDS, RuleError, rule_from_json
from customers.rules.builder import rule_builder_schema, rule_problems_display
from customers.selectors import customer_profile
from customers.tagging import selectors, services
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

HQ_ONLY = frozenset({Role.HQ_ADMIN})


class TagCataloguePage(RoleRequiredMixin, TemplateView):
    template_name = "customers/tagging/catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = selectors.tag_counts_visible(user=self.request.user)
        tags_by_group: dict[int, list] = defaultdict(list)
        for tag in selectors.tags_list():
            tags_by_group[tag.group_id].append((tag, counts.get(tag.pk, 0)))
        context["groups"] = [(group, tags_by_group[group.pk]) for group in selectors.tag_groups_list()]
        context["latest_run"] = selectors.tag_rule_run_latest()
        context["can_edit"] = self.staff.role == Role.HQ_ADMIN
        return context


class TagRuleEditPage(RoleRequiredMixin, View):
    """The rule of a rule tag, built visually or typed as JSON; every problem is shown where it is."""

    allowed_roles = HQ_ONLY
    template_name = "customers/tagging/rule_edit.html"

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        tag = get_object_or_404(selectors.tags_list(kind=TagKind.RULE), code=code)
        rule = getattr(tag, "rule", None)
        definition = json.dumps(rule.definition if rule else {"all": []}, ensure_ascii=False)
        return self.render_page(tag=tag, definition=definition, preview_on_load=rule is not None)

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        tag = get_object_or_404(selectors.tags_list(kind=TagKind.RULE), code=code)
        text = request.POST.get("definition", "")
        try:
            services.tag_rule_save(tag=tag, definition=rule_from_json(text), actor=self.staff)
        except RuleError as error:
            problems = rule_problems_display(error.problems)
        except ApplicationError as error:
            problems = rule_problems_display(
                error.extra.get("problems") or [{"path": "rule", "message": error.message}]
            )
        else:
            messages.success(request, _("Rule saved. It takes effect for every customer at the next run."))
            return redirect("tag-catalogue")
        return self.render_page(tag=tag, definition=text, problems=problems, status=400)

    def render_page(
        self,
        *,
        tag: Tag,
        definition: str,
        problems: list[dict[str, str]] | None = None,
        preview_on_load: bool = True,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "tag": tag,
            "definition": definition,
            "fields": FIELDS,
            "schema": rule_builder_schema(user=self.request.user),
            "problems": problems or [],
            "preview_on_load": preview_on_load,
        }
        return render(self.request, self.template_name, context, status=status)


class TagRulePreviewPartial(RoleRequiredMixin, View):
    """htmx: how many customers the rule in the editor selects, with a masked sample, or every problem."""

    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest) -> HttpResponse:
        context: dict[str, Any] = {}
        try:
            definition = rule_from_json(request.POST.get("definition", ""))
            preview = selectors.tag_rule_preview(definition=definition, user=request.user)
            context["count"] = preview.count
            context["sample"] = [
                customer_profile(customer=customer, viewer=request.user) for customer in preview.sample
            ]
        except RuleError as error:
            context["problems"] = rule_problems_display(error.problems)
        return render(request, "customers/tagging/_preview.html", context)


class TagRuleRunStart(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest) -> HttpResponse:
        run = services.tag_rule_run_start(triggered_by=self.staff)
        return render(request, "customers/tagging/_run.html", {"run": run})


class TagRuleRunProgressPartial(RoleRequiredMixin, View):
    """htmx: polled while a run is in progress."""

    allowed_roles = HQ_ONLY

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "customers/tagging/_run.html", {"run": selectors.tag_rule_run_get(run_id=pk)})
