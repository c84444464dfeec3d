"""Branch and staff administration (机构管理, 员工管理) for HQ admins and branch managers.

The pages compose: the org services change the tree and the staff, the customers app
moves a closing branch's customers and runs 离职继承, channels says how each person
stands against the WeCom directory. Everything is read through the viewer's scope, so a
branch or a person outside it is a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from channels.directory.selectors import DirectoryState, directory_snapshot, directory_state
from channels.directory.services import directory_snapshot_refresh
from customers.models import TransferKind
from customers.transfers.selectors import customer_counts_by_branch, customer_counts_by_owner
from customers.transfers.services import (
    branch_close_with_customers,
    branch_customers_rebook,
    staff_move_keeping_customers_at_their_outlet,
)
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch, BranchLevel, Role, Staff, StaffStatus
from scrm.org.selectors import branch_admin_list, branch_list_visible, staff_admin_search, staff_list_visible
from scrm.org.services import (
    branch_create,
    branch_move,
    branch_rename,
    staff_create,
    staff_deactivate,
    staff_mark_departed,
    staff_reactivate,
)
from scrm.org.views import RoleRequiredMixin
from workbench.orgadmin.forms import (
    BootstrapForm,
    BranchCloseForm,
    BranchCreateForm,
    BranchMoveForm,
    BranchRebookForm,
    BranchRenameForm,
    ReasonForm,
    StaffChangeForm,
    StaffCreateForm,
    StaffFilterForm,
)

ADMINS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})
STAFF_PAGE_SIZE = 100

DIRECTORY_LABELS = {
    DirectoryState.SYNCED: gettext_lazy("Synced"),
    DirectoryState.NO_USERID: gettext_lazy("Not synced: no WeCom account"),
    DirectoryState.MISSING: gettext_lazy("Not synced: not in the WeCom directory"),
    DirectoryState.NAME_DIFFERS: gettext_lazy("Not synced: the name differs"),
    DirectoryState.STILL_MEMBER: gettext_lazy("Not synced: still a WeCom member"),
    DirectoryState.UNKNOWN: gettext_lazy("Not checked"),
}


def _inheritance_url(staff: Staff) -> str:
    query = urlencode({"from_staff": staff.employee_no, "kind": TransferKind.INHERIT.value})
    return f"{reverse('customer-transfers-page')}?{query}"


# --- Branches -----------------------------------------------------------------------------


class BranchListPage(RoleRequiredMixin, View):
    allowed_roles = ADMINS
    template_name = "workbench/orgadmin/branches.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(BranchCreateForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BranchCreateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                branch = branch_create(
                    parent=data["parent"],
                    code=data["code"],
                    name=data["name"],
                    level=BranchLevel(data["level"]),
                    city=data["city"],
                    actor=self.staff.user,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("%(branch)s was added.") % {"branch": branch.name})
                return redirect("org-branches")
        return self.render_page(form, status=400)

    def render_page(self, form: BranchCreateForm, status: int = 200) -> HttpResponse:
        branches = list(branch_admin_list(user=self.request.user))
        customers = customer_counts_by_branch(user=self.request.user, branch_ids=[branch.pk for branch in branches])
        root_depth = min((branch.depth for branch in branches), default=1)
        rows = [
            {"branch": branch, "customers": customers.get(branch.pk, 0), "indent": branch.depth - root_depth}
            for branch in branches
        ]
        return render(self.request, self.template_name, {"form": form, "rows": rows}, status=status)


class BranchDetailPage(RoleRequiredMixin, View):
    allowed_roles = ADMINS
    template_name = "workbench/orgadmin/branch.html"

    def branch(self, pk: int) -> Branch:
        return get_object_or_404(branch_list_visible(user=self.request.user), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        branch = self.branch(pk)
        return self.render_page(branch, {})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        branch = self.branch(pk)
        action = request.POST.get("action", "")
        user = request.user
        forms: dict[str, Any] = {}
        form: BootstrapForm
        try:
            if action == "rename":
                form = forms["rename"] = BranchRenameForm(request.POST)
                if form.is_valid():
                    branch_rename(branch=branch, name=form.cleaned_data["name"], actor=self.staff.user)
                    messages.success(request, _("The branch was renamed."))
                    return redirect("org-branch", pk=branch.pk)
            elif action == "move":
                form = forms["move"] = BranchMoveForm(request.POST, user=user, branch=branch)
                if form.is_valid():
                    branch_move(branch=branch, new_parent=form.cleaned_data["new_parent"], actor=self.staff.user)
                    messages.success(request, _("The branch was moved."))
                    return redirect("org-branch", pk=branch.pk)
            elif action == "rebook":
                form = forms["rebook"] = BranchRebookForm(request.POST, user=user, branch=branch, prefix="rebook")
                if form.is_valid():
                    rebooked = branch_customers_rebook(
                        branch=branch,
                        to_staff=form.cleaned_data["to_staff"],
                        reason=form.cleaned_data["reason"],
                        actor=self.staff,
                    )
                    messages.success(
                        request,
                        _("%(count)d customers went to %(rm)s.")
                        % {"count": rebooked.transferred, "rm": rebooked.to_staff_name},
                    )
                    return redirect("org-branch", pk=branch.pk)
            elif action == "close":
                form = forms["close"] = BranchCloseForm(request.POST, user=user, branch=branch)
                if form.is_valid():
                    result = branch_close_with_customers(
                        branch=branch,
                        to_staff=form.cleaned_data["to_staff"],
                        reason=form.cleaned_data["reason"],
                        actor=self.staff,
                    )
                    message = _("%(branch)s was closed.") % {"branch": branch.name}
                    if result is not None and result.transferred:
                        message += " " + _("%(count)d customers went to %(rm)s.") % {
                            "count": result.transferred,
                            "rm": result.to_staff_name,
                        }
                    messages.success(request, message)
                    return redirect("org-branch", pk=branch.pk)
            else:
                return self.render_page(branch, {}, error=_("Unknown action."), status=400)
        except ApplicationError as error:
            return self.render_page(branch, forms, error=error.message, status=400)
        return self.render_page(branch, forms, status=400)

    def render_page(self, branch: Branch, forms: dict[str, Any], *, error: str = "", status: int = 200) -> HttpResponse:
        user = self.request.user
        staff = list(staff_list_visible(user=user).filter(branch=branch))
        customers = customer_counts_by_branch(user=user, branch_ids=[branch.pk]).get(branch.pk, 0)
        context = {
            "branch": branch,
            "parent": Branch.objects.get_parent(branch),
            "staff": staff,
            "customers": customers,
            "error": error,
            "rename_form": forms.get("rename") or BranchRenameForm(initial={"name": branch.name}),
            "move_form": forms.get("move") or BranchMoveForm(user=user, branch=branch),
            "close_form": forms.get("close") or BranchCloseForm(user=user, branch=branch),
            "rebook_form": forms.get("rebook") or BranchRebookForm(user=user, branch=branch, prefix="rebook"),
            "is_root": branch.level == BranchLevel.HQ,
        }
        return render(self.request, self.template_name, context, status=status)


# --- Staff --------------------------------------------------------------------------------


class StaffListPage(RoleRequiredMixin, View):
    allowed_roles = ADMINS
    template_name = "workbench/orgadmin/staff_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page()

    def post(self, request: HttpRequest) -> HttpResponse:
        """Check the list against the WeCom directory now."""
        if directory_snapshot_refresh() is None:
            messages.error(request, _("WeCom could not be reached; try again later."))
        else:
            messages.success(request, _("Checked against the WeCom directory."))
        return redirect(reverse("org-staff") + ("?" + request.GET.urlencode() if request.GET else ""))

    def render_page(self) -> HttpResponse:
        user = self.request.user
        form = StaffFilterForm(self.request.GET or None, user=user)
        filters = form.cleaned_data if form.is_valid() else {}
        staff = list(
            staff_admin_search(
                user=user,
                text=filters.get("text", ""),
                role=filters.get("role", ""),
                branch=filters.get("branch"),
                status=filters.get("status", ""),
            )[: STAFF_PAGE_SIZE + 1]
        )
        more = len(staff) > STAFF_PAGE_SIZE
        staff = staff[:STAFF_PAGE_SIZE]
        snapshot = directory_snapshot()
        customers = customer_counts_by_owner(user=user, staff_ids=[person.pk for person in staff])
        rows = []
        for person in staff:
            state = directory_state(staff=person, snapshot=snapshot)
            rows.append(
                {
                    "staff": person,
                    "customers": customers.get(person.pk, 0),
                    "synced": state == DirectoryState.SYNCED,
                    "directory": DIRECTORY_LABELS[state],
                    "inherit_url": (
                        _inheritance_url(person)
                        if person.status == StaffStatus.DEPARTED and customers.get(person.pk)
                        else ""
                    ),
                }
            )
        context = {"form": form, "rows": rows, "more": more, "snapshot": snapshot, "limit": STAFF_PAGE_SIZE}
        return render(
            self.request, self.template_name, context, status=200 if form.is_valid() or not self.request.GET else 400
        )


class StaffCreatePage(RoleRequiredMixin, View):
    allowed_roles = ADMINS
    template_name = "workbench/orgadmin/staff_new.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": StaffCreateForm(user=request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StaffCreateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                staff = staff_create(
                    username=data["username"],
                    password=data["password"],
                    name=data["name"],
                    employee_no=data["employee_no"],
                    role=Role(data["role"]),
                    branch=data["branch"],
                    wecom_userid=data["wecom_userid"] or None,
                    actor=self.staff.user,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("%(name)s was added and can sign in.") % {"name": staff.name})
                return redirect("org-staff-detail", pk=staff.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class StaffDetailPage(RoleRequiredMixin, View):
    allowed_roles = ADMINS
    template_name = "workbench/orgadmin/staff_detail.html"

    def person(self, pk: int) -> Staff:
        return get_object_or_404(staff_list_visible(user=self.request.user, active_only=False), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(self.person(pk), {})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.person(pk)
        action = request.POST.get("action", "")
        user = request.user
        forms: dict[str, Any] = {}
        form: BootstrapForm
        try:
            if action == "change":
                form = forms["change"] = StaffChangeForm(request.POST, user=user)
                if form.is_valid():
                    staff_move_keeping_customers_at_their_outlet(
                        staff=person,
                        role=Role(form.cleaned_data["role"]),
                        branch=form.cleaned_data["branch"],
                        reason=form.cleaned_data["reason"],
                        actor=self.staff,
                    )
                    messages.success(request, _("The role and place were changed."))
                    return redirect("org-staff-detail", pk=person.pk)
            elif action in {"deactivate", "reactivate", "depart"}:
                form = forms[action] = ReasonForm(request.POST, prefix=action)
                if form.is_valid():
                    service = {
                        "deactivate": staff_deactivate,
                        "reactivate": staff_reactivate,
                        "depart": staff_mark_departed,
                    }[action]
                    service(staff=person, reason=form.cleaned_data["reason"], actor=self.staff.user)
                    messages.success(
                        request,
                        {
                            "deactivate": _("The account was deactivated: the person cannot sign in."),
                            "reactivate": _("The account was reactivated."),
                            "depart": _("%(name)s is marked departed.") % {"name": person.name},
                        }[action],
                    )
                    return redirect("org-staff-detail", pk=person.pk)
            else:
                return self.render_page(person, {}, error=_("Unknown action."), status=400)
        except (ApplicationError, PermissionDenied) as error:
            message = error.message if isinstance(error, ApplicationError) else str(error)
            return self.render_page(person, forms, error=message, status=400)
        return self.render_page(person, forms, status=400)

    def render_page(self, person: Staff, forms: dict[str, Any], *, error: str = "", status: int = 200) -> HttpResponse:
        user = self.request.user
        customers = customer_counts_by_owner(user=user, staff_ids=[person.pk]).get(person.pk, 0)
        state = directory_state(staff=person, snapshot=directory_snapshot())
        context = {
            "person": person,
            "customers": customers,
            "error": error,
            "directory": DIRECTORY_LABELS[state],
            "synced": state == DirectoryState.SYNCED,
            "departed": person.status == StaffStatus.DEPARTED,
            "is_self": person.user_id == user.pk,
            "inherit_url": _inheritance_url(person),
            "transfer_url": f"{reverse('customer-transfers-page')}?{urlencode({'from_staff': person.employee_no})}",
            "change_form": forms.get("change")
            or StaffChangeForm(user=user, initial={"role": person.role, "branch": person.branch_id}),
            "deactivate_form": forms.get("deactivate") or ReasonForm(prefix="deactivate"),
            "reactivate_form": forms.get("reactivate") or ReasonForm(prefix="reactivate"),
            "depart_form": forms.get("depart") or ReasonForm(prefix="depart"),
        }
        return render(self.request, self.template_name, context, status=status)
