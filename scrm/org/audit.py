"""The organisation's own audit actions beyond the core's (registered in OrgConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgAuditAction(models.TextChoices):
    BRANCH_CREATED = "branch.created", _("Branch created")
    BRANCH_RENAMED = "branch.renamed", _("Branch renamed")
    BRANCH_MOVED = "branch.moved", _("Branch moved")
    BRANCH_CLOSED = "branch.closed", _("Branch closed")
    STAFF_DEACTIVATED = "staff.deactivated", _("Staff deactivated")
    STAFF_REACTIVATED = "staff.reactivated", _("Staff reactivated")
