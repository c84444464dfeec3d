"""Writes to the organisation. Every change is audited in the same transaction.

Who may change what: HQ admins everywhere; branch managers only inside their own
subtree, never creating or changing HQ admins or compliance staff, and never touching
their own branch's place in the tree. ``actor=None`` is the system (seeding, commands).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.audit import OrgAuditAction
from scrm.org.models import Branch, BranchLevel, Role, Staff, StaffStatus
from scrm.org.scoping import DataScope, data_scope_for

# Which level of the tree each role belongs to.
ROLE_LEVELS: dict[Role, frozenset[str]] = {
    Role.HQ_ADMIN: frozenset({BranchLevel.HQ}),
    Role.COMPLIANCE: frozenset({BranchLevel.HQ, BranchLevel.BRANCH}),
    Role.BRANCH_MANAGER: frozenset({BranchLevel.BRANCH, BranchLevel.SUB_BRANCH, BranchLevel.OUTLET}),
    Role.RM: frozenset({BranchLevel.SUB_BRANCH, BranchLevel.OUTLET}),
}

# The level a new node's parent must have: 分行 under 总行, 支行 under 分行, 网点 under 支行.
PARENT_LEVEL: dict[BranchLevel, BranchLevel] = {
    BranchLevel.BRANCH: BranchLevel.HQ,
    BranchLevel.SUB_BRANCH: BranchLevel.BRANCH,
    BranchLevel.OUTLET: BranchLevel.SUB_BRANCH,
}

# Roles a branch manager may neither grant nor change.
BANK_LEVEL_ROLES = frozenset({Role.HQ_ADMIN, Role.COMPLIANCE})

BRANCH_NAME_MAX_LENGTH = 100
BRANCH_CODE_MAX_LENGTH = 32
STAFF_NAME_MAX_LENGTH = 50


# --- Checks -------------------------------------------------------------------------------


def _admin_scope(actor: AbstractBaseUser | None) -> DataScope | None:
    """The actor's scope if they administer the organisation; None for the system."""
    if actor is None:
        return None
    scope = data_scope_for(actor)
    if scope is None or scope.role not in (Role.HQ_ADMIN, Role.BRANCH_MANAGER):
        raise PermissionDenied(_("Only HQ admins and branch managers administer the organisation."))
    return scope


def _check_branch_in_scope(scope: DataScope | None, branch: Branch, *, strictly_below: bool = False) -> None:
    if scope is None or scope.role == Role.HQ_ADMIN:
        return
    inside = branch.path.startswith(scope.branch_path)
    if not inside or (strictly_below and branch.path == scope.branch_path):
        raise ApplicationError(
            _("%(branch)s is outside your branch.") % {"branch": branch.name}, extra={"branch": branch.code}
        )


def _check_role_grantable(scope: DataScope | None, role: Role) -> None:
    if scope is not None and scope.role == Role.BRANCH_MANAGER and role in BANK_LEVEL_ROLES:
        raise ApplicationError(
            _("Branch managers cannot appoint or change HQ admins or compliance staff."), extra={"role": role.value}
        )


def _check_staff_in_scope(scope: DataScope | None, staff: Staff) -> None:
    if scope is None:
        return
    if staff.pk == scope.staff_id:
        raise ApplicationError(_("You cannot make this change to your own account."))
    _check_branch_in_scope(scope, staff.branch)
    _check_role_grantable(scope, Role(staff.role))


def _check_role_fits_branch(*, role: Role, branch: Branch) -> None:
    if branch.is_closed:
        raise ApplicationError(
            _("%(branch)s is closed: nobody can be placed there.") % {"branch": branch.name},
            extra={"branch": branch.code},
        )
    if branch.level not in ROLE_LEVELS[role]:
        raise ApplicationError(
            _("A %(role)s cannot be placed at a %(level)s.")
            % {"role": role.label, "level": BranchLevel(branch.level).label},
            extra={"role": role.value, "branch_level": branch.level},
        )


def _required_text(value: str, *, field: str, label: str, max_length: int) -> str:
    value = text_require_plain(value.strip(), field=field)
    if not value:
        raise ApplicationError(_("%(field)s is required.") % {"field": label}, extra={"field": field})
    if len(value) > max_length:
        raise ApplicationError(
            _("%(field)s is at most %(limit)d characters.") % {"field": label, "limit": max_length},
            extra={"field": field},
        )
    return value


def _required_reason(reason: str) -> str:
    return _required_text(reason, field="reason", label=_("Reason"), max_length=500)


# --- Branches -----------------------------------------------------------------------------


@transaction.atomic
def branch_create(
    *,
    parent: Branch,
    code: str,
    name: str,
    level: BranchLevel,
    city: str = "",
    actor: AbstractBaseUser | None,
) -> Branch:
    """Add a node under ``parent``: 分行 under 总行, 支行 under 分行, 网点 under 支行."""
    scope = _admin_scope(actor)
    parent = Branch.objects.select_for_update().get(pk=parent.pk)
    _check_branch_in_scope(scope, parent)
    code = _required_text(code, field="code", label=_("Code"), max_length=BRANCH_CODE_MAX_LENGTH)
    name = _required_text(name, field="name", label=_("Name"), max_length=BRANCH_NAME_MAX_LENGTH)
    city = text_require_plain(city.strip(), field="city")[:50]
    if level not in PARENT_LEVEL:
        raise ApplicationError(_("A head office cannot be added."), extra={"field": "level"})
    if parent.level != PARENT_LEVEL[level]:
        raise ApplicationError(
            _("A %(level)s can only be added under a %(parent_level)s.")
            % {"level": level.label, "parent_level": PARENT_LEVEL[level].label},
            extra={"field": "parent"},
        )
    if parent.is_closed:
        raise ApplicationError(_("%(branch)s is closed.") % {"branch": parent.name}, extra={"field": "parent"})
    if Branch.objects.filter(code=code).exists():
        raise ApplicationError(_("The code %(code)s is taken.") % {"code": code}, extra={"field": "code"})
    branch = Branch.objects.add_child(
        parent,
        {
            "code": code,
            "name": name,
            "level": level.value,
            "city": city or parent.city,
            "region_code": parent.region_code,
        },
    )
    audit_record(
        actor=actor,
        action=OrgAuditAction.BRANCH_CREATED,
        target=branch,
        data={"code": code, "name": name, "level": level.value, "parent": parent.code},
    )
    return branch


@transaction.atomic
def branch_rename(*, branch: Branch, name: str, actor: AbstractBaseUser | None) -> Branch:
    scope = _admin_scope(actor)
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    _check_branch_in_scope(scope, branch)
    name = _required_text(name, field="name", label=_("Name"), max_length=BRANCH_NAME_MAX_LENGTH)
    if name == branch.name:
        raise ApplicationError(_("The new name is the current one."), extra={"field": "name"})
    old = branch.name
    branch.name = name
    branch.save(update_fields=["name"])
    audit_record(actor=actor, action=OrgAuditAction.BRANCH_RENAMED, target=branch, data={"old": old, "new": name})
    return branch


@transaction.atomic
def branch_move(*, branch: Branch, new_parent: Branch, actor: AbstractBaseUser | None) -> Branch:
    """Hang a node (with its subtree, staff and customers) under another parent of the same level."""
    scope = _admin_scope(actor)
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    new_parent = Branch.objects.select_for_update().get(pk=new_parent.pk)
    if branch.level == BranchLevel.HQ:
        raise ApplicationError(_("The head office cannot be moved."))
    _check_branch_in_scope(scope, branch, strictly_below=True)
    _check_branch_in_scope(scope, new_parent)
    if new_parent.path.startswith(branch.path):
        raise ApplicationError(_("A branch cannot be moved under itself."), extra={"field": "parent"})
    if new_parent.level != PARENT_LEVEL[BranchLevel(branch.level)]:
        raise ApplicationError(
            _("A %(level)s can only be added under a %(parent_level)s.")
            % {"level": BranchLevel(branch.level).label, "parent_level": PARENT_LEVEL[BranchLevel(branch.level)].label},
            extra={"field": "parent"},
        )
    if new_parent.is_closed:
        raise ApplicationError(_("%(branch)s is closed.") % {"branch": new_parent.name}, extra={"field": "parent"})
    old_parent = Branch.objects.get_parent(branch)
    if old_parent is not None and old_parent.pk == new_parent.pk:
        raise ApplicationError(_("The branch is already there."), extra={"field": "parent"})
    Branch.objects.move(branch, new_parent, pos="sorted-child")
    branch.refresh_from_db()
    audit_record(
        actor=actor,
        action=OrgAuditAction.BRANCH_MOVED,
        target=branch,
        data={"old_parent": old_parent.code if old_parent else None, "new_parent": new_parent.code},
    )
    return branch


@transaction.atomic
def branch_close(*, branch: Branch, actor: AbstractBaseUser | None, reason: str) -> Branch:
    """撤销 a node. Its staff must have been moved and its children closed first; the
    customers booked there are the customers app's to move (``branch_close_with_customers``)."""
    scope = _admin_scope(actor)
    reason = _required_reason(reason)
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    if branch.level == BranchLevel.HQ:
        raise ApplicationError(_("The head office cannot be closed."))
    _check_branch_in_scope(scope, branch, strictly_below=True)
    if branch.is_closed:
        raise ApplicationError(_("%(branch)s is closed.") % {"branch": branch.name})
    staff = Staff.objects.filter(branch=branch, status=StaffStatus.ACTIVE).count()
    if staff:
        raise ApplicationError(
            _("%(count)d staff still work at %(branch)s: move them first.") % {"count": staff, "branch": branch.name},
            extra={"staff": staff},
        )
    children = Branch.objects.filter(path__startswith=branch.path, depth=branch.depth + 1, closed_at__isnull=True)
    if children.exists():
        raise ApplicationError(
            _("%(branch)s still has open branches under it: close or move them first.") % {"branch": branch.name}
        )
    branch.closed_at = timezone.now()
    branch.save(update_fields=["closed_at"])
    audit_record(actor=actor, action=OrgAuditAction.BRANCH_CLOSED, target=branch, data={"reason": reason})
    return branch


# --- Staff --------------------------------------------------------------------------------


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
    """A new member of staff and their sign-in account."""
    scope = _admin_scope(actor)
    branch = Branch.objects.get(pk=branch.pk)
    _check_branch_in_scope(scope, branch)
    _check_role_grantable(scope, role)
    _check_role_fits_branch(role=role, branch=branch)
    name = _required_text(name, field="name", label=_("Name"), max_length=STAFF_NAME_MAX_LENGTH)
    username = _required_text(username, field="username", label=_("Username"), max_length=150)
    employee_no = _required_text(employee_no, field="employee_no", label=_("Employee number"), max_length=32)
    wecom_userid = (wecom_userid or "").strip() or None
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ApplicationError(_("The username %(username)s is taken.") % {"username": username}, {"field": "username"})
    if Staff.objects.filter(employee_no=employee_no).exists():
        raise ApplicationError(
            _("The employee number %(number)s is taken.") % {"number": employee_no}, {"field": "employee_no"}
        )
    if wecom_userid and Staff.objects.filter(wecom_userid=wecom_userid).exists():
        raise ApplicationError(
            _("The WeCom userid %(userid)s belongs to someone else.") % {"userid": wecom_userid},
            {"field": "wecom_userid"},
        )
    try:
        validate_password(password, user_model(username=username))
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), {"field": "password"}) from error
    user = user_model.objects.create_user(username=username, password=password)
    staff = Staff.objects.create(
        user=user, name=name, employee_no=employee_no, role=role, branch=branch, wecom_userid=wecom_userid
    )
    audit_record(
        actor=actor,
        action=AuditAction.STAFF_CREATED,
        target=staff,
        data={"role": role.value, "branch": branch.code, "username": username},
    )
    return staff


@transaction.atomic
def staff_change_role(
    *, staff: Staff, role: Role, branch: Branch, actor: AbstractBaseUser | None, reason: str
) -> Staff:
    """Change what a person may see: their role, their place in the tree, or both."""
    scope = _admin_scope(actor)
    reason = _required_reason(reason)
    staff = Staff.objects.select_for_update().select_related("branch").get(pk=staff.pk)
    branch = Branch.objects.get(pk=branch.pk)
    _check_staff_in_scope(scope, staff)
    _check_branch_in_scope(scope, branch)
    _check_role_grantable(scope, role)
    if staff.status == StaffStatus.DEPARTED:
        raise ApplicationError(_("This person has departed."))
    _check_role_fits_branch(role=role, branch=branch)
    if staff.role == role and staff.branch_id == branch.pk:
        raise ApplicationError(_("Nothing to change: that is the current role and branch."))
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


def _staff_set_sign_in(*, staff: Staff, actor: AbstractBaseUser | None, reason: str, active: bool) -> Staff:
    scope = _admin_scope(actor)
    reason = _required_reason(reason)
    staff = Staff.objects.select_for_update().select_related("user", "branch").get(pk=staff.pk)
    _check_staff_in_scope(scope, staff)
    if staff.status == StaffStatus.DEPARTED:
        raise ApplicationError(_("This person has departed."))
    if staff.user.is_active == active:
        raise ApplicationError(
            _("This account is already active.") if active else _("This account is already deactivated.")
        )
    staff.user.is_active = active
    staff.user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=OrgAuditAction.STAFF_REACTIVATED if active else OrgAuditAction.STAFF_DEACTIVATED,
        target=staff,
        data={"reason": reason},
    )
    return staff


@transaction.atomic
def staff_deactivate(*, staff: Staff, actor: AbstractBaseUser | None, reason: str) -> Staff:
    """停用: the person cannot sign in for now (leave, an investigation); they keep their customers."""
    return _staff_set_sign_in(staff=staff, actor=actor, reason=reason, active=False)


@transaction.atomic
def staff_reactivate(*, staff: Staff, actor: AbstractBaseUser | None, reason: str) -> Staff:
    return _staff_set_sign_in(staff=staff, actor=actor, reason=reason, active=True)


@transaction.atomic
def staff_mark_departed(*, staff: Staff, actor: AbstractBaseUser | None, reason: str) -> Staff:
    """离职: the person can no longer sign in; their customers await inheritance."""
    scope = _admin_scope(actor)
    reason = _required_reason(reason)
    staff = Staff.objects.select_for_update().select_related("user", "branch").get(pk=staff.pk)
    _check_staff_in_scope(scope, staff)
    if staff.status == StaffStatus.DEPARTED:
        raise ApplicationError(_("This person has already departed."))
    staff.status = StaffStatus.DEPARTED
    staff.departed_at = timezone.now()
    staff.save(update_fields=["status", "departed_at"])
    staff.user.is_active = False
    staff.user.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditAction.STAFF_DEPARTED, target=staff, data={"reason": reason})
    return staff
