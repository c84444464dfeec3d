"""The four roles of scrm (see DESIGN.md §2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("总行管理员")
    BRANCH_MANAGER = "branch_manager", _("分支行管理者")
    RM = "rm", _("客户经理")
    COMPLIANCE = "compliance", _("合规")


# Roles whose data scope is the whole bank. Compliance reads everything, PII masked.
BANK_WIDE_ROLES = frozenset({Role.HQ_ADMIN, Role.COMPLIANCE})
