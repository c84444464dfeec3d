"""The navigation each role sees, built once per request for the layout."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[Role]

    @property
    def url(self) -> str:
        return reverse(self.url_name)


ALL_ROLES = frozenset(Role)

# Later capabilities add their pages here; each names the roles that see it.
NAVIGATION = (
    NavItem(_("Workbench"), "home", ALL_ROLES),
    NavItem(_("Customers"), "customers-page", ALL_ROLES),
    NavItem(_("Segments"), "segments-page", ALL_ROLES),
    NavItem(_("Tags"), "tag-catalogue", frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})),
    NavItem(_("Transfers"), "customer-transfers-page", frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})),
    NavItem(_("Channel codes"), "channel-codes-page", ALL_ROLES),
    NavItem(_("Authentication"), "identity-dashboard", ALL_ROLES),
    NavItem(_("Customer contacts"), "contacts-page", ALL_ROLES),
    NavItem(_("Customer groups"), "groups-page", ALL_ROLES),
    NavItem(_("Campaigns"), "campaign-list", frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.COMPLIANCE})),
    NavItem(_("My campaign tasks"), "campaign-tasks", frozenset({Role.RM})),
    NavItem(_("Scripts"), "script-library", frozenset({Role.HQ_ADMIN})),
    NavItem(_("Sensitive words"), "compliance-library", frozenset({Role.HQ_ADMIN, Role.COMPLIANCE})),
    NavItem(_("Violations"), "violation-queue", frozenset({Role.HQ_ADMIN, Role.COMPLIANCE, Role.BRANCH_MANAGER})),
    NavItem(_("Chat archive"), "compliance-archive-status", frozenset({Role.COMPLIANCE})),
    NavItem(_("Churn risk"), "churn-page", frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})),
    NavItem(_("Content library"), "content-library", frozenset({Role.HQ_ADMIN})),
    NavItem(_("Imports"), "customer-import-upload", frozenset({Role.HQ_ADMIN})),
    NavItem(_("API docs"), "api:docs", frozenset({Role.HQ_ADMIN})),
    NavItem(_("Branch administration"), "org-branches", frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})),
    NavItem(_("Staff administration"), "org-staff", frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER})),
    NavItem(_("Audit log"), "audit-log", frozenset({Role.COMPLIANCE, Role.HQ_ADMIN})),
    NavItem(_("Reveal history"), "audit-reveals", frozenset({Role.COMPLIANCE, Role.HQ_ADMIN})),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    scope = data_scope_for(getattr(request, "user", None))
    if scope is None:
        return {"nav_items": [], "data_scope": None}
    return {"nav_items": [item for item in NAVIGATION if scope.role in item.roles], "data_scope": scope}
