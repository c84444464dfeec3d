"""The transfer page: move customers to another RM (在职转接 / 离职继承) and see the latest moves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from customers.models import TransferKind
from customers.transfers.forms import CustomerTransferForm
from customers.transfers.selectors import customer_transfer_list_recent, transfer_selection
from customers.transfers.services import TransferResult, customers_transfer
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

# The transfer API's permission says the same.
TRANSFERRERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})


def _result_message(result: TransferResult, *, listed: int | None) -> str:
    message = _("%(transferred)d transferred, %(skipped)d skipped. Batch %(batch)s.") % {
        "transferred": result.transferred,
        "skipped": result.skipped,
        "batch": result.batch_id,
    }
    not_found = (listed or 0) - result.transferred - result.skipped
    if not_found > 0:
        message += " " + _("%(count)d of the customer numbers are not within your data scope.") % {"count": not_found}
    return message


class CustomerTransferPage(RoleRequiredMixin, View):
    allowed_roles = TRANSFERRERS
    template_name = "customers/transfers/page.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(CustomerTransferForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CustomerTransferForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = customers_transfer(
                    customers=transfer_selection(
                        user=request.user, customer_nos=data["customer_nos"] or None, from_staff=data["from_staff"]
                    ),
                    to_staff=data["to_staff"],
                    kind=TransferKind(data["kind"]),
                    reason=data["reason"],
                    actor=self.staff,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                listed = len(data["customer_nos"]) if data["customer_nos"] else None
                messages.success(request, _result_message(result, listed=listed))
                return redirect("customer-transfers-page")
        return self.render_page(form, status=400)

    def render_page(self, form: CustomerTransferForm, status: int = 200) -> HttpResponse:
        context: dict[str, Any] = {
            "form": form,
            "transfers": customer_transfer_list_recent(user=self.request.user),
        }
        return render(self.request, self.template_name, context, status=status)
