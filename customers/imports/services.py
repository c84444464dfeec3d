"""Imports of core-banking extracts: accept an upload, then run it on the bulk queue.

A run is many short transactions and one long one. Staging — reading, validating,
sealing and ``COPY``-ing each chunk into TEMP tables — commits progress after every
chunk, so the progress bar moves. Everything the import writes to customer data —
the upsert, its timeline events, the job's outcome and its audit event — is one
transaction at the end: a crash before it leaves no trace but a RUNNING job, which
the task's retry restarts from scratch — or, when the worker itself died and its task
message is stranded with it, the minute's sweep (``import_job_sweep``).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import CustomerAuditAction
from customers.imports.contract import CONTRACTS, MAX_FILE_BYTES, Contract, HeaderProblems
from customers.imports.reading import extract_open, file_format_of
from customers.imports.selectors import import_reference
from customers.imports.staging import STAGINGS, StageCounts, Staging, UpsertCounts
from customers.imports.validation import CHECKS, cells_tidy
from customers.models import ImportJob, ImportKind, ImportMode, JobStatus
from customers.tagging.services import tag_rule_run_start
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff

logger = logging.getLogger(__name__)

# Session-level advisory lock (namespace, job id) held while a job runs: a duplicate
# delivery of the task finds it taken and leaves the job to the worker that has it.
_RUN_LOCK_NAMESPACE = 0x1A0B


# --- Upload ----------------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    file: File,
    original_name: str,
    kind: ImportKind,
    mode: ImportMode,
    dry_run: bool,
    actor: Staff,
    enqueue: bool = True,
) -> ImportJob:
    """Accept an extract: refuse at once a file that is not one (type, size, header), else queue it.

    ``enqueue=False`` leaves the job for the caller to run (the management command runs it inline).
    """
    file_format = file_format_of(original_name)
    if not file.size:
        raise ApplicationError(_("The file is empty."), extra={"file": original_name})
    if file.size > MAX_FILE_BYTES:
        raise ApplicationError(
            _("The file is larger than %(limit)s GiB: split the extract.") % {"limit": MAX_FILE_BYTES // 1024**3},
            extra={"file": original_name, "size": file.size},
        )
    extract = extract_open(file, file_format=file_format)
    contract = CONTRACTS[kind]
    _mapping, problems = contract.header_map(extract.header)
    if problems:
        raise _header_error(contract, problems)
    file.seek(0)

    job = ImportJob(kind=kind, mode=mode, dry_run=dry_run, original_name=original_name[:255], created_by=actor)
    job.file.save(f"{uuid.uuid4().hex}.{file_format}", file, save=False)
    job.save()
    if enqueue:
        from customers.imports import tasks  # the tasks module imports this one

        transaction.on_commit(partial(tasks.import_run_task.delay, job.pk))
    return job


def _header_error(contract: Contract, problems: HeaderProblems) -> ApplicationError:
    parts = []
    if problems.missing:
        parts.append(
            _("The file lacks required columns: %(columns)s.")
            % {"columns": ", ".join(contract.describe(problems.missing))}
        )
    if problems.duplicated:
        parts.append(
            _("These columns are named twice: %(columns)s.")
            % {"columns": ", ".join(contract.describe(problems.duplicated))}
        )
    return ApplicationError(
        " ".join(parts),
        extra={"missing_columns": list(problems.missing), "duplicated_columns": list(problems.duplicated)},
    )


# --- Run --------------------------------------------------------------------------------


def import_job_run(*, job_id: int) -> ImportJob | None:
    """The worker's body: import the job's file, or do nothing if it is finished or being run.

    Safe to call again for the same job at any point: a finished job is left as it is; a
    RUNNING one (its worker died) is restarted from scratch. Not wrapped in one
    transaction on purpose — see the module docstring.
    """
    with _run_lock(job_id) as acquired:
        if not acquired:
            logger.info("import already running elsewhere job_id=%s", job_id)
            return None
        job = _job_claim(job_id=job_id)
        if job is None:
            logger.info("import already finished job_id=%s", job_id)
            return None
        try:
            return _job_import(job)
        except ApplicationError as error:
            job.refresh_from_db(fields=["total_rows", "processed_rows"])
            return _job_finish(job, status=JobStatus.FAILED, message=error.message)


@contextmanager
def _run_lock(job_id: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_RUN_LOCK_NAMESPACE, job_id])
        (acquired,) = cursor.fetchone()
    try:
        yield acquired
    finally:
        if acquired:
            _run_unlock(job_id)


def _run_unlock(job_id: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_RUN_LOCK_NAMESPACE, job_id])
    except DatabaseError:
        # Only after a failed run: the lock is the session's, and goes when the session does.
        logger.warning("import run lock not released job_id=%s", job_id)


def import_job_sweep(*, queued_for: timedelta = timedelta(minutes=5)) -> list[int]:
    """Hand to a worker again every job whose task was lost; the ids of those re-enqueued.

    A RUNNING job whose run lock nobody holds has no live worker: its worker was killed
    and its task message is stranded with the dead consumer until the broker's visibility
    timeout (an hour). A job still QUEUED after ``queued_for`` may have lost its message
    (a Redis restart, a producer that died after the commit). Enqueueing a job that is
    merely slow is harmless: the run lock and the finished check turn the extra task away.
    """
    from customers.imports import tasks  # the tasks module imports this one

    candidates = ImportJob.objects.filter(
        Q(status=JobStatus.RUNNING) | Q(status=JobStatus.QUEUED, created_at__lt=timezone.now() - queued_for)
    ).order_by("id")
    orphaned = []
    for job_id in candidates.values_list("id", flat=True):
        with _run_lock(job_id) as free:
            if free:
                orphaned.append(job_id)
    for job_id in orphaned:
        tasks.import_run_task.delay(job_id)
    if orphaned:
        logger.info("import sweep re-enqueued count=%s", len(orphaned))
    return orphaned


def _job_claim(*, job_id: int) -> ImportJob | None:
    """QUEUED or RUNNING → RUNNING, with every counter reset; None when the job is finished."""
    claimed = ImportJob.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        total_rows=0,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        error_count=0,
        error_report="",
        message="",
    )
    if claimed != 1:
        return None
    return ImportJob.objects.select_related("created_by__user").get(pk=job_id)


def _job_import(job: ImportJob) -> ImportJob:
    kind = ImportKind(job.kind)
    contract = CONTRACTS[kind]
    check = CHECKS[kind]
    with _stored_file(job) as stored:
        extract = extract_open(stored, file_format=file_format_of(job.original_name))
        header, problems = contract.header_map(extract.header)
        if problems:
            raise _header_error(contract, problems)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=extract.estimated_rows())
        reference = import_reference(kind=kind)
        processed = 0
        with STAGINGS[kind](header=header) as stage:
            for frame, rows in extract.chunks(header.positions):
                cells, blank = cells_tidy(frame)
                if not blank.all():
                    stage.add(check(cells[~blank], rows=rows[~blank], reference=reference))
                processed += int((~blank).sum())
                # Autocommitted on its own: the progress bar sees every chunk.
                ImportJob.objects.filter(pk=job.pk).update(
                    processed_rows=processed, total_rows=Greatest(F("total_rows"), processed)
                )
            stage.loaded()
            stage.reject_repeated_keys()
            stage.check_references()
            counts = stage.counts()
            if counts.invalid_rows:
                _error_report_attach(job, stage)
            return _job_complete(job, stage, counts=counts, processed=processed, ignored=header.ignored)


@contextmanager
def _stored_file(job: ImportJob) -> Iterator[File]:
    # Opened through the storage, the file says it is binary ("rb"): pandas then decodes it itself.
    try:
        stored = job.file.storage.open(job.file.name or "", "rb")
    except FileNotFoundError:
        raise ApplicationError(_("The uploaded file is no longer stored; upload it again.")) from None
    with stored:
        yield stored


def _error_report_attach(job: ImportJob, stage: Staging) -> None:
    with tempfile.TemporaryFile() as report:
        stage.error_report_write(report)
        report.seek(0)
        job.error_report.save(f"import-{job.pk}-errors.csv", File(report), save=False)


def _job_complete(
    job: ImportJob, stage: Staging, *, counts: StageCounts, processed: int, ignored: tuple[str, ...]
) -> ImportJob:
    rejected = job.mode == ImportMode.ALL_OR_NOTHING and counts.invalid_rows > 0
    with transaction.atomic():
        upserted = UpsertCounts(created=0, updated=0)
        if counts.valid_rows and not rejected:
            with transaction.atomic():
                upserted = stage.upsert(job_id=job.pk, actor_id=job.created_by_id, now=timezone.now())
                if job.dry_run:
                    transaction.set_rollback(True)
            if not job.dry_run and upserted.first_customer_id is not None and upserted.last_customer_id is not None:
                # New data can move customers in or out of rule tags: evaluate the rules for them now.
                tag_rule_run_start(customer_ids=(upserted.first_customer_id, upserted.last_customer_id))
        job.total_rows = job.processed_rows = processed
        job.created_count, job.updated_count = upserted.created, upserted.updated
        job.error_count = counts.invalid_rows
        message = _outcome_message(
            job, rejected=rejected, unchanged=counts.valid_rows - upserted.created - upserted.updated
        )
        if ignored:
            message += " " + _("Columns not in the contract were ignored: %(columns)s.") % {
                "columns": ", ".join(ignored)
            }
        return _job_finish(job, status=JobStatus.FAILED if rejected else JobStatus.SUCCEEDED, message=message)


def _outcome_message(job: ImportJob, *, rejected: bool, unchanged: int) -> str:
    counts = {
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": unchanged,
        "errors": job.error_count,
    }
    if rejected:
        return (
            _("%(errors)s rows have errors, so nothing was imported: the whole file is rejected on any error.") % counts
        )
    if job.dry_run:
        return (
            _(
                "Dry run, nothing was written: %(created)s would be created, %(updated)s updated and "
                "%(unchanged)s left unchanged; %(errors)s rows have errors."
            )
            % counts
        )
    return (
        _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged; "
            "%(errors)s rows with errors were skipped."
        )
        % counts
    )


@transaction.atomic
def _job_finish(job: ImportJob, *, status: JobStatus, message: str) -> ImportJob:
    """Record the outcome and audit it, in one transaction (with the upsert, when there is one)."""
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "message",
            "finished_at",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "error_count",
            "error_report",
        ]
    )
    audit_record(
        actor=job.created_by.user,
        action=CustomerAuditAction.IMPORT,
        target=job,
        data={
            "file": job.original_name,
            "kind": job.kind,
            "mode": job.mode,
            "dry_run": job.dry_run,
            "status": status.value,
            "rows": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "rows_with_errors": job.error_count,
        },
    )
    logger.info(
        "import finished job_id=%s status=%s seconds=%.1f rows=%s created=%s updated=%s errors=%s",
        job.pk,
        status,
        (job.finished_at - job.started_at).total_seconds() if job.started_at else 0.0,
        job.processed_rows,
        job.created_count,
        job.updated_count,
        job.error_count,
    )
    return job


@transaction.atomic
def import_job_fail(*, job_id: int, message: str) -> None:
    """Mark a job whose run gave up as FAILED; a finished job is left as it is."""
    job = (
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("created_by__user")
        .filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .first()
    )
    if job is not None:
        _job_finish(job, status=JobStatus.FAILED, message=message)
