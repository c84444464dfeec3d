"""Channel code pages: the list with figures, create and edit, and one code with its QR image and chart."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from channels.codes import selectors, services
from channels.codes.forms import (
    BaseWelcomeAttachmentFormSet,
    ChannelCodeForm,
    attachment_initial,
    welcome_attachment_formset,
)
from channels.models import ChannelCode
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin


def _code_for(request: HttpRequest, pk: int) -> ChannelCode:
    code = selectors.channel_code_list(user=request.user).filter(pk=pk).first()
    if code is None:
        raise Http404
    return code


def _apply_error(form: ChannelCodeForm, attachments: BaseWelcomeAttachmentFormSet, error: ApplicationError) -> None:
    field = error.extra.get("field")
    if field == "welcome_attachments":
        row = attachments.form_for_attachment(error.extra.get("index", -1))
        if row is not None:
            row.add_error(None, error.message)
            return
    form.add_error(field if field in form.fields else None, error.message)


def _service_arguments(form: ChannelCodeForm, attachments: BaseWelcomeAttachmentFormSet) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "strategy": data["strategy"],
        "staff": list(data["staff"]),
        "tags": list(data["tags"]),
        "welcome_text": data["welcome_text"],
        "welcome_attachments": attachments.attachments(),
        "skip_verify": data["skip_verify"],
        "valid_from": data["valid_from"],
        "valid_until": data["valid_until"],
    }


def _render_form(
    request: HttpRequest,
    form: ChannelCodeForm,
    attachments: BaseWelcomeAttachmentFormSet,
    code: ChannelCode | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "channels/codes/form.html",
        {"form": form, "attachments": attachments, "picked_staff": form.picked_staff(), "code": code},
        status=status,
    )


class ChannelCodeListPage(RoleRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "channels/codes/list.html",
            {
                "codes": selectors.channel_code_list(user=request.user)[:500],
                "can_manage": self.staff.role in services.MANAGERS,
            },
        )


class ChannelCodeCreatePage(RoleRequiredMixin, View):
    allowed_roles = services.MANAGERS

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render_form(request, ChannelCodeForm(user=request.user), welcome_attachment_formset(), None)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ChannelCodeForm(request.POST, user=request.user)
        attachments = welcome_attachment_formset(request.POST)
        if form.is_valid() and attachments.is_valid():
            try:
                code = services.channel_code_create(
                    actor=self.staff, branch=form.cleaned_data["branch"], **_service_arguments(form, attachments)
                )
            except ApplicationError as error:
                _apply_error(form, attachments, error)
            else:
                messages.success(request, _("Channel code %(name)s created.") % {"name": code.name})
                return redirect("channel-code-detail", pk=code.pk)
        return _render_form(request, form, attachments, None, status=400)


class ChannelCodeEditPage(RoleRequiredMixin, View):
    allowed_roles = services.MANAGERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        code = _code_for(request, pk)
        form = ChannelCodeForm(user=request.user, instance=code)
        return _render_form(request, form, welcome_attachment_formset(instance=code), code)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        code = _code_for(request, pk)
        form = ChannelCodeForm(request.POST, user=request.user, instance=code)
        attachments = welcome_attachment_formset(request.POST, instance=code)
        if form.is_valid() and attachments.is_valid():
            try:
                services.channel_code_update(actor=self.staff, code=code, **_service_arguments(form, attachments))
            except ApplicationError as error:
                _apply_error(form, attachments, error)
            else:
                messages.success(request, _("Channel code %(name)s saved.") % {"name": code.name})
                return redirect("channel-code-detail", pk=code.pk)
        return _render_form(request, form, attachments, code, status=400)


class ChannelCodeStaffSearchPartial(RoleRequiredMixin, View):
    """The staff picker's search (htmx): pickable RMs matching ``q``, those already picked marked."""

    allowed_roles = services.MANAGERS

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")[:64]
        picked = set(request.GET.getlist("staff"))
        return render(
            request,
            "channels/codes/_staff_results.html",
            {
                "query": query.strip(),
                "results": selectors.staff_search(user=request.user, query=query),
                "picked": picked,
            },
        )


class ChannelCodeStaffPickPartial(RoleRequiredMixin, View):
    """Adds one RM to the picker's chosen list (htmx); nothing for an RM outside the scope or already chosen."""

    allowed_roles = services.MANAGERS

    def get(self, request: HttpRequest) -> HttpResponse:
        number = request.GET.get("pick", "")[:32]
        member = selectors.staff_pickable(user=request.user).filter(employee_no=number).first()
        if member is None or number in request.GET.getlist("staff"):
            return HttpResponse("")
        # The chosen RM's search result is marked chosen in the same answer (out of band).
        return render(request, "channels/codes/_staff_picked.html", {"member": member, "oob": True})


class ChannelCodeDetailPage(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        code = _code_for(request, pk)
        stats = selectors.channel_code_stats(code)
        sandbox = settings.WECOM_SANDBOX_URL.rstrip("/")
        return render(
            request,
            "channels/codes/detail.html",
            {
                "code": code,
                "stats": stats,
                "chart": {
                    "days": [row.day.isoformat() for row in stats.by_day],
                    "adds": [row.adds for row in stats.by_day],
                    "deletions": [row.deletions for row in stats.by_day],
                },
                "pending": services.channel_code_is_pending(code),
                "valid_now": services.channel_code_is_valid(code, timezone.now()),
                "staff": list(code.staff.select_related("branch")),
                "tags": list(code.tags.all()),
                "attachments": [attachment_initial(item) for item in code.welcome_attachments],
                "can_manage": self.staff.role in services.MANAGERS,
                "scan_url": f"{sandbox}/sandbox/scan/{code.config_id}" if sandbox and code.config_id else "",
            },
        )


class ChannelCodeActionView(RoleRequiredMixin, View):
    """POST-only actions on one code: deactivate, or retry a pending creation."""

    allowed_roles = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        code = _code_for(request, pk)
        try:
            if self.action == "deactivate":
                services.channel_code_deactivate(actor=self.staff, code=code)
                messages.success(request, _("Channel code %(name)s deactivated.") % {"name": code.name})
            else:
                services.channel_code_activate_pending(actor=self.staff, code=code)
                messages.success(request, _("Channel code %(name)s is active.") % {"name": code.name})
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("channel-code-detail", pk=code.pk)
