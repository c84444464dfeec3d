"""Import pages: upload an extract, then watch its progress (htmx polls a partial until the job ends)."""

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView

from customers.imports.contract import CONTRACTS
from customers.imports.forms import ImportUploadForm
from customers.imports.responses import error_report_response
from customers.imports.selectors import IMPORT_ROLES, import_job_list_visible, import_job_progress
from customers.imports.services import import_job_create
from customers.imports.template_files import import_template_csv, import_template_xlsx
from customers.models import ImportJob, ImportKind, ImportMode
from scrm.core.exceptions import ApplicationError
from scrm.org.views import RoleRequiredMixin

RECENT_JOBS = 10


class ImportAccessMixin(RoleRequiredMixin):
    """Signed-in HQ admins only; anyone else signed in is refused with 403."""

    allowed_roles = IMPORT_ROLES


class ImportUploadView(ImportAccessMixin, FormView):
    template_name = "customers/imports/upload.html"
    form_class = ImportUploadForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["recent_jobs"] = import_job_list_visible(user=self.request.user)[:RECENT_JOBS]
        context["contracts"] = CONTRACTS.values()
        return context

    def form_valid(self, form: ImportUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                file=upload,
                original_name=upload.name,
                kind=ImportKind(form.cleaned_data["kind"]),
                mode=ImportMode(form.cleaned_data["mode"]),
                dry_run=form.cleaned_data["dry_run"],
                actor=self.staff,
            )
        except ApplicationError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        return HttpResponseRedirect(reverse("customer-import-job", kwargs={"pk": job.pk}))


class _JobView(ImportAccessMixin, DetailView):
    context_object_name = "job"

    def get_queryset(self) -> QuerySet[ImportJob]:
        return import_job_list_visible(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["progress"] = import_job_progress(job=self.object)
        return context


class ImportJobView(_JobView):
    template_name = "customers/imports/job.html"


class ImportJobProgressView(_JobView):
    """The progress panel alone: what htmx swaps in every second while the job runs."""

    template_name = "customers/imports/_progress.html"


class ImportJobErrorReportView(ImportAccessMixin, View):
    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        return error_report_response(get_object_or_404(import_job_list_visible(user=request.user), pk=pk))


TEMPLATE_FORMATS = {
    "csv": (import_template_csv, "text/csv; charset=utf-8"),
    "xlsx": (import_template_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


class ImportTemplateView(ImportAccessMixin, View):
    """A blank extract of one kind to fill in, as CSV or Excel."""

    def get(self, request: HttpRequest, kind: str, file_format: str) -> HttpResponse:
        if kind not in CONTRACTS or file_format not in TEMPLATE_FORMATS:
            raise Http404("No such import template.")
        contract = CONTRACTS[kind]
        render, content_type = TEMPLATE_FORMATS[file_format]
        name = _("%(kind)s import template") % {"kind": contract.kind.label}
        response = HttpResponse(render(contract), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{name}.{file_format}"
        )
        return response
