"""The four roles of scrm (see DESIGN.md §2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("HQ admin")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    RM = "rm", _("Relationship manager")
    COMPLIANCE = "compliance", _("Compliance")


# Roles whose data scope is the whole bank. Compliance reads everything, PII masked.
BANK_WIDE_ROLES = frozenset({Role.HQ_ADMIN, Role.COMPLIANCE})
