"""The error report as a download, for the API and the pages alike."""

from pathlib import PurePath

from django.http import FileResponse, Http404

from customers.models import ImportJob


def error_report_response(job: ImportJob) -> FileResponse:
    """The job's error report, named after the uploaded file; 404 when the job has none."""
    if not job.error_report:
        raise Http404("This import has no error report.")
    return FileResponse(
        job.error_report.open("rb"),
        as_attachment=True,
        filename=f"{PurePath(job.original_name).stem}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )
