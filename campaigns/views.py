"""Campaign pages: the list, the builder, one campaign with its audience, review and results, and an RM's tasks.

Every action is a POST to a service, so the pages keep exactly the rules of the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View

from campaigns import selectors, services
from campaigns.audience.selectors import audience_preview
from campaigns.dispatch import services as dispatch
from campaigns.dispatch.selectors import SenderProgress, campaign_progress, rm_open_tasks, task_text
from campaigns.dispatch.tasks import campaign_results_fetch_task
from campaigns.forms import CampaignForm
from campaigns.models import Campaign, CampaignKind, CampaignOccurrence, CampaignStatus, ExclusionReason
from campaigns.results.selectors import campaign_results
from campaigns.results.services import campaign_recipients_export
from customers.rules.builder import rule_builder_schema, rule_problems_display
from customers.segments.export import ExportFormat
from risk.compliance.highlight import text_pieces
from risk.compliance.matcher import library_current
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

BUILDERS = frozenset(services.BUILDER_ROLES)
READERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.COMPLIANCE})


def _campaign_for(request: HttpRequest, pk: int) -> Campaign:
    try:
        return selectors.campaign_get(user=request.user, campaign_id=pk)
    except Campaign.DoesNotExist as error:
        raise Http404 from error


def _form_error(form: CampaignForm, error: ApplicationError) -> None:
    field = str(error.extra.get("field", ""))
    if field.startswith("variants."):
        parts = field.split(".")
        field = f"variant_{parts[1]}_{'attachments' if parts[-1] == 'attachments' else 'text'}"
    form.add_error(field if field in form.fields else None, error.message)


class CampaignListPage(RoleRequiredMixin, View):
    allowed_roles = READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        campaigns = selectors.campaigns_list(user=request.user, status=status, query=request.GET.get("q", ""))
        return render(
            request,
            "campaigns/list.html",
            {
                "campaigns": campaigns[:200],
                "statuses": CampaignStatus.choices,
                "status": status,
                "query": request.GET.get("q", ""),
                "can_build": self.staff.role in BUILDERS,
            },
        )


class CampaignEditPage(RoleRequiredMixin, View):
    allowed_roles = BUILDERS

    def _campaign(self, pk: int | None) -> Campaign | None:
        if pk is None:
            return None
        if not Campaign.objects.manageable_by(self.request.user).filter(pk=pk).exists():
            raise Http404
        return _campaign_for(self.request, pk)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        campaign = self._campaign(pk)
        return self._render(CampaignForm(staff=self.staff, campaign=campaign), campaign)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        campaign = self._campaign(pk)
        form = CampaignForm(request.POST, staff=self.staff, campaign=campaign)
        if form.is_valid():
            try:
                if campaign is None:
                    saved = services.campaign_create(actor=self.staff, draft=form.draft(), request=request)
                else:
                    saved = services.campaign_update(
                        actor=self.staff, campaign_id=campaign.pk, draft=form.draft(), request=request
                    )
            except ApplicationError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Campaign %(name)s saved.") % {"name": saved.name})
                return redirect("campaign-detail", pk=saved.pk)
        return self._render(form, campaign, status=400)

    def _render(self, form: CampaignForm, campaign: Campaign | None, *, status: int = 200) -> HttpResponse:
        return render(
            request=self.request,
            template_name="campaigns/form.html",
            context={
                "form": form,
                "campaign": campaign,
                "schema": rule_builder_schema(user=self.request.user),
                "problems": rule_problems_display(form.rule_problems),
            },
            status=status,
        )


class CampaignDetailPage(RoleRequiredMixin, View):
    allowed_roles = READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = _campaign_for(request, pk)
        library = library_current()
        role = self.staff.role
        manageable = Campaign.objects.manageable_by(request.user).filter(pk=pk).exists()
        occurrences = list(CampaignOccurrence.objects.filter(campaign=campaign).order_by("sequence"))
        progress = campaign_progress(campaign=campaign)
        return render(
            request,
            "campaigns/detail.html",
            {
                "campaign": campaign,
                "variants": [
                    (variant, text_pieces(variant.text, library.check(variant.text)))
                    for variant in campaign.variants.order_by("label")
                ],
                "occurrences": occurrences,
                "exclusion_reasons": ExclusionReason.choices,
                "progress": progress,
                "funnel": _funnel(campaign, occurrences, progress),
                "results": campaign_results(campaign) if occurrences else None,
                "can_manage": manageable,
                "can_review": role == Role.COMPLIANCE and campaign.status == CampaignStatus.IN_REVIEW,
                "statuses": CampaignStatus,
            },
        )


def _funnel(
    campaign: Campaign, occurrences: list[CampaignOccurrence], progress: list[SenderProgress]
) -> list[tuple[str, int]]:
    """Audience → sent to → tasks created → tasks confirmed → delivered, over all occurrences.

    A group campaign's first three steps count customer groups; a moment's tasks are
    published rather than confirmed, and it is delivered to the customers it reached.
    """
    if campaign.kind == CampaignKind.GROUPS:
        labels = (
            _("Customer groups with segment members"),
            _("Groups left out"),
            _("Groups sent to"),
            _("Tasks confirmed by RMs"),
            _("Customers reached"),
        )
    elif campaign.kind == CampaignKind.MOMENTS:
        labels = (
            _("Segment members"),
            _("Left out"),
            _("Eligible customers"),
            _("Moments published by RMs"),
            _("Customers reached"),
        )
    else:
        labels = (_("Segment members"), _("Left out"), _("Sent to"), _("Tasks confirmed by RMs"), _("Delivered"))
    return [
        (labels[0], sum(o.segment_size for o in occurrences)),
        (labels[1], sum(sum(o.exclusions.values()) for o in occurrences)),
        (labels[2], sum(o.recipient_count for o in occurrences)),
        (_("WeCom tasks created"), sum(o.tasks_created for o in occurrences)),
        (labels[3], sum(p.confirmed for p in progress)),
        (labels[4], sum(p.sent for p in progress)),
    ]


class CampaignAudiencePanel(RoleRequiredMixin, View):
    """The live audience counts (htmx): what dispatch would do now."""

    allowed_roles = READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = _campaign_for(request, pk)
        try:
            preview = audience_preview(campaign)
        except ApplicationError as error:  # the segment no longer compiles, e.g. a tag it names is gone
            return render(request, "campaigns/_audience.html", {"error": error.message})
        reasons = [(label, preview.exclusions.get(value, 0)) for value, label in ExclusionReason.choices]
        return render(request, "campaigns/_audience.html", {"preview": preview, "reasons": reasons})


class CampaignActionView(RoleRequiredMixin, View):
    """One POST per move: submit, approve, reject, schedule, cancel, remind."""

    allowed_roles = READERS

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        staff, note = self.staff, request.POST.get("note", "")
        moves = {
            "submit": lambda: services.campaign_submit(actor=staff, campaign_id=pk, request=request),
            "approve": lambda: services.campaign_approve(actor=staff, campaign_id=pk, note=note, request=request),
            "reject": lambda: services.campaign_reject(actor=staff, campaign_id=pk, reason=note, request=request),
            "schedule": lambda: services.campaign_schedule(actor=staff, campaign_id=pk, request=request),
            "cancel": lambda: dispatch.campaign_stop(actor=staff, campaign_id=pk, reason=note, request=request),
            "remind": lambda: dispatch.campaign_remind(actor=staff, campaign_id=pk, request=request),
            "refresh": lambda: campaign_results_fetch_task.delay(_campaign_for(request, pk).pk),
        }
        if action not in moves:
            raise Http404
        try:
            result = moves[action]()
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if action == "remind":
                messages.success(request, _("%(count)d RM tasks reminded.") % {"count": result})
            elif action == "refresh":
                messages.success(request, _("Fetching the latest results from WeCom; reload in a moment."))
            else:
                messages.success(request, _("Done."))
        return redirect("campaign-detail", pk=pk)


class RmTaskPage(RoleRequiredMixin, View):
    """An RM's mass-send tasks to confirm in WeCom: what to send, to how many."""

    def get(self, request: HttpRequest) -> HttpResponse:
        tasks = [(task, task_text(task)) for task in rm_open_tasks(staff=self.staff)[:200]]
        return render(request, "campaigns/tasks.html", {"tasks": tasks})


class CampaignRecipientsExport(RoleRequiredMixin, View):
    """The recipients in the viewer's scope as CSV or XLSX, PII masked; the export is audited."""

    allowed_roles = READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        campaign = _campaign_for(request, pk)
        try:
            file_format = ExportFormat(request.GET.get("file_format", "csv"))
        except ValueError as error:
            raise Http404 from error
        try:
            export = campaign_recipients_export(
                campaign=campaign, user=request.user, format=file_format, request=request
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("campaign-detail", pk=pk)
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export.filename)
        add_never_cache_headers(response)
        return response
