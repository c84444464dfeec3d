"""Writes to the organisation. Role, scope and status changes are audited in the same transaction."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch, BranchLevel, Role, Staff, StaffStatus

# Which level of the tree each role belongs to.
ROLE_LEVELS: dict[Role, frozenset[str]] = {
    Role.HQ_ADMIN: frozenset({BranchLevel.HQ}),
    Role.COMPLIANCE: frozenset({BranchLevel.HQ, BranchLevel.BRANCH}),
    Role.BRANCH_MANAGER: frozenset({BranchLevel.BRANCH, BranchLevel.SUB_BRANCH, BranchLevel.OUTLET}),
    Role.RM: frozenset({BranchLevel.SUB_BRANCH, BranchLevel.OUTLET}),
}


def _check_role_fits_branch(*, role: Role, branch: Branch) -> None:
    if branch.level not in ROLE_LEVELS[role]:
        raise ApplicationError(
            f"A {role.label} cannot be placed at a {BranchLevel(branch.level).label}.",
            extra={"role": role.value, "branch_level": branch.level},
        )


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    name: str,
    employee_no: str,
    role: Role,
    branch: Branch,
    wecom_userid: str | None = None,
    actor: AbstractBaseUser | None,
) -> Staff:
    _check_role_fits_branch(role=role, branch=branch)
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ApplicationError(f"The username {username!r} is taken.")
    user = user_model.objects.create_user(username=username, password=password)
    staff = Staff.objects.create(
        user=user, name=name, employee_no=employee_no, role=role, branch=branch, wecom_userid=wecom_userid
    )
    audit_record(
        actor=actor,
        action=AuditAction.STAFF_CREATED,
        target=staff,
        data={"role": role.value, "branch": branch.code},
    )
    return staff


@transaction.atomic
def staff_change_role(*, staff: Staff, role: Role, branch: Branch, actor: AbstractBaseUser, reason: str) -> Staff:
    """Change what a person may see: their role, their place in the tree, or both."""
    if not reason.strip():
        raise ApplicationError("A reason is required to change a role or scope.")
    _check_role_fits_branch(role=role, branch=branch)
    staff = Staff.objects.select_for_update().select_related("branch").get(pk=staff.pk)
    old = {"role": staff.role, "branch": staff.branch.code}
    staff.role = role
    staff.branch = branch
    staff.save(update_fields=["role", "branch"])
    audit_record(
        actor=actor,
        action=AuditAction.ROLE_CHANGED,
        target=staff,
        data={"old": old, "new": {"role": role.value, "branch": branch.code}, "reason": reason},
    )
    return staff


@transaction.atomic
def staff_mark_departed(*, staff: Staff, actor: AbstractBaseUser, reason: str) -> Staff:
    """离职: the person can no longer sign in; their customers await inheritance."""
    staff = Staff.objects.select_for_update().select_related("user").get(pk=staff.pk)
    if staff.status == StaffStatus.DEPARTED:
        raise ApplicationError("This person has already departed.")
    staff.status = StaffStatus.DEPARTED
    staff.departed_at = timezone.now()
    staff.save(update_fields=["status", "departed_at"])
    staff.user.is_active = False
    staff.user.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditAction.STAFF_DEPARTED, target=staff, data={"reason": reason})
    return staff
