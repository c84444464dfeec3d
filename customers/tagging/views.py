"""Tag pages: the catalogue with scoped counts, the rule editor with live preview, batch runs."""

import json
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from rest_framework.exceptions import ValidationError

from customers.models import JobStatus, Tag, TagBulkAction, TagGroup, TagKind
from customers.rules import FIELDS, RuleError, rule_from_json
from customers.rules.builder import rule_builder_schema, rule_problems_display
from customers.search.filters import CustomerSearchFilterSet, search_data
from customers.search.selectors import CustomerSearchFilters, customer_search
from customers.selectors import customer_profile
from customers.tagging import selectors, services
from customers.tagging.forms import BulkTagForm, TagForm, TagGroupForm
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

HQ_ONLY = frozenset({Role.HQ_ADMIN})
# Who may give or take away manual tags, within their scope (as the tagging API).
TAGGERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})


class TagCataloguePage(RoleRequiredMixin, TemplateView):
    template_name = "customers/tagging/catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = selectors.tag_counts_visible(user=self.request.user)
        tags_by_group: dict[int, list] = defaultdict(list)
        for tag in selectors.tags_list():
            tags_by_group[tag.group_id].append((tag, counts.get(tag.pk, 0)))
        context["groups"] = [(group, tags_by_group[group.pk]) for group in selectors.tag_groups_list()]
        context["kinds"] = dict(TagKind.choices)
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
        run = selectors.tag_rule_run_get(run_id=pk)
        response = render(request, "customers/tagging/_run.html", {"run": run})
        if run.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            # Finished while the page watched: reload it, so every tag's count and evaluation time are current.
            response["HX-Refresh"] = "true"
        return response


# --- Administration of the catalogue (HQ admins) ----------------------------------------


def _form_error(form: Any, error: ApplicationError) -> None:
    """Put a service's refusal on the field it names, or on the form."""
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.message)


class TagGroupFormPage(RoleRequiredMixin, View):
    """Create a tag group, or edit one (``pk``)."""

    allowed_roles = HQ_ONLY
    template_name = "customers/tagging/group_form.html"

    def _group(self, pk: int | None) -> TagGroup | None:
        return selectors.tag_group_get(group_id=pk) if pk is not None else None

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        group = self._group(pk)
        initial = (
            {
                "name": group.name,
                "kind": group.kind,
                "exclusive": group.exclusive,
                "color": group.color,
                "description": group.description,
            }
            if group
            else None
        )
        return render(request, self.template_name, {"form": TagGroupForm(initial=initial), "group": group})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        group = self._group(pk)
        form = TagGroupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if group is None:
                    group = services.tag_group_create(actor=self.staff, **data)
                    messages.success(request, _("Tag group %(name)s created.") % {"name": group.name})
                else:
                    group = services.tag_group_update(group=group, actor=self.staff, **data)
                    messages.success(request, _("Tag group %(name)s saved.") % {"name": group.name})
            except ApplicationError as error:
                _form_error(form, error)
            else:
                return redirect("tag-catalogue")
        return render(request, self.template_name, {"form": form, "group": group}, status=400)


class TagFormPage(RoleRequiredMixin, View):
    """Create a tag (in the group ``?group=``), or edit one (``pk``)."""

    allowed_roles = HQ_ONLY
    template_name = "customers/tagging/tag_form.html"

    def _tag(self, pk: int | None) -> Tag | None:
        return selectors.tag_get(tag_id=pk) if pk is not None else None

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tag = self._tag(pk)
        if tag is not None:
            initial: dict[str, Any] = {
                "name": tag.name,
                "group": tag.group_id,
                "color": tag.color,
                "description": tag.description,
            }
        else:
            group_id = request.GET.get("group", "")
            group = TagGroup.objects.filter(pk=group_id).first() if group_id.isdigit() else None
            initial = {"group": group.pk, "color": group.color} if group else {}
        return render(request, self.template_name, {"form": TagForm(initial=initial), "tag": tag})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tag = self._tag(pk)
        form = TagForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if tag is None:
                    tag = services.tag_create(
                        group=data["group"],
                        name=data["name"],
                        color=data["color"] or None,
                        description=data["description"],
                        actor=self.staff,
                    )
                    messages.success(request, _("Tag %(name)s created.") % {"name": tag.name})
                else:
                    tag = services.tag_update(
                        tag=tag,
                        group=data["group"],
                        name=data["name"],
                        color=data["color"] or tag.color,
                        description=data["description"],
                        actor=self.staff,
                    )
                    messages.success(request, _("Tag %(name)s saved.") % {"name": tag.name})
            except ApplicationError as error:
                _form_error(form, error)
            else:
                return redirect("tag-catalogue")
        return render(request, self.template_name, {"form": form, "tag": tag}, status=400)


class TagActiveSet(RoleRequiredMixin, View):
    """Retire a tag or bring it back (POST), then the catalogue again."""

    allowed_roles = HQ_ONLY
    active = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        tag = services.tag_active_set(tag=selectors.tag_get(tag_id=pk), active=self.active, actor=self.staff)
        if self.active:
            messages.success(request, _("Tag %(name)s is in use again.") % {"name": tag.name})
        else:
            messages.success(
                request, _("Tag %(name)s retired: it is no longer offered; customers keep it.") % {"name": tag.name}
            )
        return redirect("tag-catalogue")


# --- Bulk tagging of a search result -----------------------------------------------------


def _bulk_request(request: HttpRequest) -> tuple[BulkTagForm, CustomerSearchFilters]:
    """The tag, the change and the search from the posted search form; ApplicationError explains what is wrong."""
    form = BulkTagForm(request.POST)
    if not form.is_valid():
        raise ApplicationError(" ".join(str(error) for errors in form.errors.values() for error in errors))
    try:
        filters = CustomerSearchFilterSet(search_data(request.POST)).search_filters()
    except ValidationError as error:
        raise ApplicationError(_("Correct the search first.")) from error
    if filters == CustomerSearchFilters():
        raise ApplicationError(_("Set at least one search filter first: a bulk change never takes your whole scope."))
    return form, filters


class BulkTagPreviewPartial(RoleRequiredMixin, View):
    """htmx: how many customers of the search the change would touch, and a button to confirm it."""

    allowed_roles = TAGGERS

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            form, filters = _bulk_request(request)
            tag, action = form.cleaned_data["bulk_tag"], TagBulkAction(form.cleaned_data["bulk_action"])
            services.tag_require_manual(tag=tag)
            preview = selectors.tag_bulk_preview(
                customers=customer_search(user=request.user, filters=filters), tag=tag, action=action
            )
        except ApplicationError as error:
            return render(request, "customers/tagging/_bulk_preview.html", {"error": error.message})
        posted = [
            (key, value) for key, values in request.POST.lists() if key != "csrfmiddlewaretoken" for value in values
        ]
        context = {"preview": preview, "tag": tag, "action": action, "posted": posted}
        return render(request, "customers/tagging/_bulk_preview.html", context)


class BulkTagStart(RoleRequiredMixin, View):
    """htmx: start the confirmed change on the bulk queue; answers its progress panel."""

    allowed_roles = TAGGERS

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            form, filters = _bulk_request(request)
            job = services.tag_bulk_job_start(
                customers=customer_search(user=request.user, filters=filters),
                tag=form.cleaned_data["bulk_tag"],
                action=form.cleaned_data["bulk_action"],
                actor=self.staff,
                reason="bulk",
                request=request,
            )
        except ApplicationError as error:
            return render(request, "customers/tagging/_bulk_preview.html", {"error": error.message})
        return render(request, "customers/tagging/_bulk_job.html", {"job": job})


class BulkTagProgressPartial(RoleRequiredMixin, View):
    """htmx: polled every second while the job runs."""

    allowed_roles = TAGGERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = selectors.tag_bulk_job_get(job_id=pk, viewer=self.staff)
        return render(
            request,
            "customers/tagging/_bulk_job.html",
            {"job": job, "search_url": reverse("customers-page")},
        )
