"""The chat archive's status page (会话存档状态) for compliance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from risk.compliance.archive.selectors import archive_status
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin


class ArchiveStatusPage(RoleRequiredMixin, View):
    allowed_roles = frozenset({Role.COMPLIANCE})

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "risk/compliance/archive_status.html", {"status": archive_status()})
