"""Identity pages: the authentication-rate dashboard with its leads, and the customer's H5 verification."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_protect

from channels.identity import selectors, services
from channels.models import ExternalContact
from scrm.core.exceptions import ApplicationError
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

LINKERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})


class IdentityDashboardPage(RoleRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "channels/identity/dashboard.html",
            {
                "rates": selectors.authentication_rates(user=request.user),
                "leads": selectors.lead_list(user=request.user),
                "can_link": self.staff.role in LINKERS,
            },
        )


class ContactLinkView(RoleRequiredMixin, View):
    """The manual link of a lead to a customer number (HQ admins and branch managers)."""

    allowed_roles = LINKERS

    def post(self, request: HttpRequest) -> HttpResponse:
        contact_id = request.POST.get("contact", "")
        contacts = ExternalContact.objects.visible_to(request.user)
        contact = contacts.filter(pk=int(contact_id)).first() if contact_id.isdecimal() else None
        customer_no = request.POST.get("customer_no", "").strip()
        if contact is None or not customer_no:
            messages.error(request, _("Choose a contact and enter a customer number."))
            return redirect("identity-dashboard")
        try:
            services.contact_link_manual(actor=self.staff, contact=contact, customer_no=customer_no, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(contact)s linked to customer %(customer_no)s.")
                % {"contact": contact.name or contact.external_userid, "customer_no": customer_no},
            )
        return redirect("identity-dashboard")


class VerificationForm(forms.Form):
    customer_no = forms.CharField(label=gettext_lazy("Customer number"), max_length=32)
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=20)


_MESSAGES = {
    services.VerifyOutcome.LINKED: gettext_lazy("Thank you, your identity is verified."),
    services.VerifyOutcome.ALREADY: gettext_lazy("Your identity is already verified."),
    services.VerifyOutcome.MISMATCH: gettext_lazy(
        "The details do not match our records. Check them and try again, or ask your relationship manager."
    ),
    services.VerifyOutcome.CONFLICT: gettext_lazy(
        "This WeChat account is already verified. Please ask your relationship manager."
    ),
    services.VerifyOutcome.RATE_LIMITED: gettext_lazy("Too many attempts. Please try again in an hour."),
}


@method_decorator(csrf_protect, name="dispatch")
class VerifyPage(View):
    """Public, for the customer on their phone: no sign-in, a signed link, a plain HTML form."""

    template_name = "channels/identity/verify.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        contact = services.contact_for_verification_token(token)
        if contact is None:
            return render(request, self.template_name, {"invalid": True}, status=404)
        return render(
            request, self.template_name, {"form": VerificationForm(), "done": contact.customer_id is not None}
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        contact = services.contact_for_verification_token(token)
        if contact is None:
            return render(request, self.template_name, {"invalid": True}, status=404)
        form = VerificationForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        result = services.contact_verify_identity(
            contact=contact,
            customer_no=form.cleaned_data["customer_no"],
            phone=form.cleaned_data["phone"],
            request=request,
        )
        status = 200 if result.ok else (429 if result.outcome == services.VerifyOutcome.RATE_LIMITED else 400)
        return render(
            request,
            self.template_name,
            {
                "form": VerificationForm() if not result.ok else None,
                "done": result.ok,
                "outcome": result.outcome,
                "message": _MESSAGES[result.outcome],
            },
            status=status,
        )
