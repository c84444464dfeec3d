"""Reads for imports: the jobs an HQ admin may see, and the bank as row validation needs it."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from customers.imports.validation import Reference, StaffRecord
from customers.models import ImportJob, ImportKind, JobStatus
from scrm.org.models import Branch, Role, Staff, StaffStatus
from scrm.org.scoping import data_scope_for

# Who may import, and see imports: head office's data team.
IMPORT_ROLES = frozenset({Role.HQ_ADMIN})


def import_allowed(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    scope = data_scope_for(user)
    return scope is not None and scope.role in IMPORT_ROLES


def import_job_list_visible(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ImportJob]:
    """Every import for the roles that import; nothing for anyone else."""
    if not import_allowed(user=user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_reference(*, kind: ImportKind) -> Reference:
    """Branch codes and staff, loaded once per run: a bank has thousands of each, not millions."""
    now = timezone.localtime()
    if kind != ImportKind.CUSTOMERS:
        return Reference(now=now)
    staff = Staff.objects.values_list(
        "employee_no", "id", "branch_id", "branch__code", "role", "status", "user__is_active"
    )
    return Reference(
        now=now,
        branch_ids=dict(Branch.objects.values_list("code", "id")),
        staff={
            employee_no: StaffRecord(
                staff_id=staff_id,
                branch_id=branch_id,
                branch_code=branch_code,
                is_rm=role == Role.RM,
                is_active=status == StaffStatus.ACTIVE and user_active,
            )
            for employee_no, staff_id, branch_id, branch_code, role, status, user_active in staff
        },
    )


@dataclass(frozen=True)
class ImportProgress:
    percent: int
    unchanged: int  # valid rows that matched what is stored
    finished: bool


def import_job_progress(*, job: ImportJob) -> ImportProgress:
    finished = job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
    if job.status == JobStatus.SUCCEEDED:
        percent = 100
    elif job.total_rows:
        percent = min(99, job.processed_rows * 100 // job.total_rows)
    else:
        percent = 0
    valid = job.processed_rows - job.error_count
    unchanged = max(0, valid - job.created_count - job.updated_count) if job.status == JobStatus.SUCCEEDED else 0
    return ImportProgress(percent=percent, unchanged=unchanged, finished=finished)
