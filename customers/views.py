"""The customer 360 page and its audited reveal of one value. Thin: selectors and services decide."""

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from customers.consent.selectors import consent_overview
from customers.models import Customer, LifecycleStage
from customers.selectors import customer_360, customer_list_visible
from customers.services import customer_reveal_pii
from customers.timeline.selectors import notes_for_customer
from customers.timeline.services import NOTE_MAX_LENGTH, NOTE_WRITER_ROLES, customer_note_add
from scrm.core.exceptions import ApplicationError
from scrm.org.scoping import data_scope_for
from scrm.org.views import RoleRequiredMixin
from scrm.pii import PiiKind


class Customer360Page(LoginRequiredMixin, TemplateView):
    """客户360. A customer outside the viewer's scope does not exist for them (404)."""

    template_name = "customers/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            context["view"] = customer_360(customer_no=kwargs["customer_no"], viewer=self.request.user)
        except Customer.DoesNotExist as error:
            raise Http404 from error
        context["consent"] = consent_overview(customer_no=kwargs["customer_no"], viewer=self.request.user)
        context["stage_label"] = LifecycleStage(context["view"].profile.lifecycle_stage).label
        context.update(_notes_context(customer_no=kwargs["customer_no"], request=self.request))
        context["pii_fields"] = [
            (PiiKind.NAME, context["view"].profile.name_masked),
            (PiiKind.PHONE, context["view"].profile.phone_masked),
            (PiiKind.ID_NUMBER, context["view"].profile.id_number_masked),
        ]
        return context


@method_decorator(never_cache, name="dispatch")
class CustomerRevealPartial(LoginRequiredMixin, View):
    """htmx: the full value of one field for a stated purpose; the service audits it."""

    def post(self, request: HttpRequest, customer_no: str) -> HttpResponse:
        customer = get_object_or_404(customer_list_visible(user=request.user), customer_no=customer_no)
        try:
            field = PiiKind(request.POST.get("field", ""))
            value = customer_reveal_pii(
                customer=customer,
                field=field,
                actor=request.user,
                purpose=request.POST.get("purpose", ""),
                request=request,
            )
        except ValueError:
            return render(request, "customers/_reveal.html", {"error": "unknown field"}, status=400)
        except ApplicationError as error:
            return render(request, "customers/_reveal.html", {"error": error.message}, status=error.status_code)
        return render(request, "customers/_reveal.html", {"value": value})


def _notes_context(*, customer_no: str, request: HttpRequest) -> dict[str, Any]:
    customer = get_object_or_404(customer_list_visible(user=request.user), customer_no=customer_no)
    scope = data_scope_for(request.user)
    return {
        "customer_no": customer_no,
        "notes": list(notes_for_customer(customer_id=customer.pk, user=request.user)),
        "can_write_notes": scope is not None and scope.role in NOTE_WRITER_ROLES,
        "note_max_length": NOTE_MAX_LENGTH,
    }


class CustomerNotesPartial(RoleRequiredMixin, View):
    """htmx: add a note to a customer in the viewer's scope (the sidebar's service), then the notes again."""

    allowed_roles = NOTE_WRITER_ROLES

    def post(self, request: HttpRequest, customer_no: str) -> HttpResponse:
        customer = get_object_or_404(customer_list_visible(user=request.user), customer_no=customer_no)
        text = request.POST.get("text", "")
        extra: dict[str, Any] = {}
        try:
            customer_note_add(customer=customer, text=text, actor=self.staff, source="web")
        except ApplicationError as error:
            extra = {"error": error.message, "text": text}
        context = _notes_context(customer_no=customer_no, request=request) | extra
        return render(request, "customers/_notes.html", context, status=400 if extra else 200)
