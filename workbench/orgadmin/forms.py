"""Forms of branch and staff administration. They parse; the org and customers services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.org.models import Branch, BranchLevel, Role, Staff
from scrm.org.roles import BANK_WIDE_ROLES
from scrm.org.scoping import data_scope_for
from scrm.org.selectors import StaffStatusFilter, branch_list_visible, branch_open_choices, staff_list_visible

REASON = forms.CharField(label=_("Reason"), max_length=500)


class BootstrapForm(forms.Form):
    """Gives every widget Bootstrap's class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"


class BranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Branch) -> str:
        return f"{'· ' * (obj.depth - 1)}{obj.name} ({BranchLevel(obj.level).label})"


class RmChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return f"{obj.name} ({obj.employee_no}) · {obj.branch.name}"


def _open_branches(user: AbstractBaseUser | AnonymousUser) -> Any:
    return branch_open_choices(user=user)


class BranchCreateForm(BootstrapForm):
    parent = BranchChoiceField(label=_("Parent"), queryset=Branch.objects.none())
    level = forms.ChoiceField(
        label=pgettext_lazy("branch", "Level"),
        choices=[(level.value, level.label) for level in BranchLevel if level != BranchLevel.HQ],
    )
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    city = forms.CharField(label=_("City"), max_length=50, required=False)

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _open_branches(user).exclude(level=BranchLevel.OUTLET)  # type: ignore[attr-defined]


class BranchRenameForm(BootstrapForm):
    name = forms.CharField(label=_("New name"), max_length=100)


class BranchMoveForm(BootstrapForm):
    new_parent = BranchChoiceField(label=_("New parent"), queryset=Branch.objects.none())

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, branch: Branch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = _open_branches(user).exclude(path__startswith=branch.path)
        self.fields["new_parent"].queryset = parents  # type: ignore[attr-defined]


class BranchCloseForm(BootstrapForm):
    to_staff = RmChoiceField(
        label=_("Give its customers to"),
        queryset=Staff.objects.none(),
        to_field_name="employee_no",
        required=False,
        help_text=_("An RM of another outlet; the customers are booked at that outlet."),
    )
    reason = REASON

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, branch: Branch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rms = (
            staff_list_visible(user=user)
            .filter(role=Role.RM, user__is_active=True, branch__closed_at__isnull=True)
            .exclude(branch__path__startswith=branch.path)
        )
        self.fields["to_staff"].queryset = rms  # type: ignore[attr-defined]


class BranchRebookForm(BranchCloseForm):
    """Only the customers move; the branch stays open (its staff can then move away)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_staff"].required = True
        self.fields["to_staff"].label = _("Give them to")


def _grantable_roles(user: AbstractBaseUser | AnonymousUser) -> list[tuple[str, Any]]:
    scope = data_scope_for(user)
    if scope is not None and scope.role == Role.HQ_ADMIN:
        return list(Role.choices)
    return [(role.value, role.label) for role in Role if role not in BANK_WIDE_ROLES]


class StaffFilterForm(BootstrapForm):
    STATUSES = [
        ("", _("Any status")),
        (StaffStatusFilter.ACTIVE, pgettext_lazy("staff status", "Active")),
        (StaffStatusFilter.DEACTIVATED, _("Deactivated")),
        (StaffStatusFilter.DEPARTED, _("Departed")),
    ]

    text = forms.CharField(label=_("Name or employee number"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Any role")), *Role.choices], required=False)
    branch = BranchChoiceField(label=_("Branch or outlet"), queryset=Branch.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUSES, required=False)

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branch_list_visible(user=user)  # type: ignore[attr-defined]
        self.fields["branch"].empty_label = _("Anywhere")  # type: ignore[attr-defined]


class StaffCreateForm(BootstrapForm):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    employee_no = forms.CharField(label=_("Employee number"), max_length=32)
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"), max_length=128, strip=False, widget=forms.PasswordInput(render_value=False)
    )
    role = forms.ChoiceField(label=_("Role"))
    branch = BranchChoiceField(label=_("Branch or outlet"), queryset=Branch.objects.none())
    wecom_userid = forms.CharField(
        label=_("WeCom userid"),
        max_length=64,
        required=False,
        help_text=_("The member's account in the WeCom directory, if they have one."),
    )

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _grantable_roles(user)  # type: ignore[attr-defined]
        self.fields["branch"].queryset = _open_branches(user)  # type: ignore[attr-defined]


class StaffChangeForm(BootstrapForm):
    role = forms.ChoiceField(label=_("Role"))
    branch = BranchChoiceField(label=_("Branch or outlet"), queryset=Branch.objects.none())
    reason = REASON

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _grantable_roles(user)  # type: ignore[attr-defined]
        self.fields["branch"].queryset = _open_branches(user)  # type: ignore[attr-defined]


class ReasonForm(BootstrapForm):
    reason = REASON


__all__ = [
    "BranchCloseForm",
    "BranchCreateForm",
    "BranchMoveForm",
    "BranchRebookForm",
    "BranchRenameForm",
    "ReasonForm",
    "StaffChangeForm",
    "StaffCreateForm",
    "StaffFilterForm",
]
