"""The transfer page: move customers to another RM (在职转接 / 离职继承) and see the latest moves.

A submission first shows what would happen (how many customers, from whom to whom);
only the confirmed second submission transfers. The result names the batch in the
address (``?batch=``) and the page reads it back as people do: counts, who, when.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from customers.models import TransferKind
from customers.transfers.forms import CustomerTransferForm
from customers.transfers.selectors import (
    customer_transfer_list_batch,
    customer_transfer_list_recent,
    transfer_batch_summary,
    transfer_outlet_message,
    transfer_preview,
    transfer_selection,
)
from customers.transfers.services import TransferResult, customers_transfer
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

# The transfer API's permission says the same.
TRANSFERRERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})


def _result_message(result: TransferResult, *, listed: int | None) -> str:
    message = _("%(transferred)d customers transferred to %(rm)s, %(skipped)d skipped.") % {
        "transferred": result.transferred,
        "skipped": result.skipped,
        "rm": result.to_staff_name,
    }
    not_found = (listed or 0) - result.transferred - result.skipped
    if not_found > 0:
        message += " " + _("%(count)d of the customer numbers are not within your data scope.") % {"count": not_found}
    return message


def _batch_from(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.GET.get("batch", ""))
    except ValueError:
        return None


class CustomerTransferPage(RoleRequiredMixin, View):
    allowed_roles = TRANSFERRERS
    template_name = "customers/transfers/page.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        # Links from elsewhere (staff administration's 离职继承) preselect the RM and the kind.
        initial = {key: request.GET[key] for key in ("from_staff", "kind") if request.GET.get(key)}
        return self.render_page(CustomerTransferForm(user=request.user, initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CustomerTransferForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_page(form, status=400)
        data = form.cleaned_data
        customers = transfer_selection(
            user=request.user, customer_nos=data["customer_nos"] or None, from_staff=data["from_staff"]
        )
        kind = TransferKind(data["kind"])
        if not data["confirmed"]:
            preview = transfer_preview(customers=customers, to_staff=data["to_staff"], kind=kind, user=request.user)
            if preview.elsewhere:
                form.add_error(None, transfer_outlet_message(count=preview.elsewhere, to_staff=data["to_staff"]))
                return self.render_page(form, status=400)
            return self.render_page(form, preview=preview)
        try:
            result = customers_transfer(
                customers=customers, to_staff=data["to_staff"], kind=kind, reason=data["reason"], actor=self.staff
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self.render_page(form, status=400)
        listed = len(data["customer_nos"]) if data["customer_nos"] else None
        messages.success(request, _result_message(result, listed=listed))
        if not result.transferred:
            return redirect("customer-transfers-page")
        return redirect(reverse("customer-transfers-page") + "?" + urlencode({"batch": str(result.batch_id)}))

    def render_page(self, form: CustomerTransferForm, status: int = 200, preview: Any = None) -> HttpResponse:
        batch_id = _batch_from(self.request)
        batch = transfer_batch_summary(user=self.request.user, batch_id=batch_id) if batch_id else None
        context: dict[str, Any] = {
            "form": form,
            "preview": preview,
            "kind_label": TransferKind(form.cleaned_data["kind"]).label if preview else "",
            "batch": batch,
            "transfers": (
                customer_transfer_list_batch(user=self.request.user, batch_id=batch.batch_id)
                if batch
                else customer_transfer_list_recent(user=self.request.user)
            ),
        }
        return render(self.request, self.template_name, context, status=status)
