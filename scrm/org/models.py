"""The bank's organisation: a branch tree and the staff who work in it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from scrm.org.roles import Role
from scrm.org.scoping import ScopedQuerySet

__all__ = ["Branch", "BranchLevel", "Role", "Staff", "StaffStatus"]


class BranchLevel(models.TextChoices):
    HQ = "hq", _("Head office")
    BRANCH = "branch", _("Branch")
    SUB_BRANCH = "sub_branch", _("Sub-branch")
    OUTLET = "outlet", _("Outlet")


class BranchQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    scope_branch_field = ""  # the branch itself
    scope_rm_sees = "own_branch"


class BranchManager(MP_NodeManager):
    def get_queryset(self) -> BranchQuerySet:
        return BranchQuerySet(self.model, using=self._db).order_by("path")


class Branch(MP_Node):
    """A node of the 总行 → 分行 → 支行 → 网点 tree (materialised path).

    ``path`` encodes the ancestry, so a subtree is one indexed prefix scan:
    ``path LIKE '0001000A%'`` — fast at tens of thousands of nodes.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=BranchLevel.choices)
    # Administrative division (GB/T 2260) of the branch's city, e.g. 310104.
    region_code = models.CharField(_("region code"), max_length=6, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    # 撤销: a closed branch keeps its history (transfers, audit) but takes no staff or customers.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    node_order_by = ["code"]
    objects = BranchManager.from_queryset(BranchQuerySet)()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        indexes = [
            # LIKE 'prefix%' uses this index whatever the database collation.
            models.Index(fields=["path"], opclasses=["varchar_pattern_ops"], name="org_branch_path_prefix"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class StaffStatus(models.TextChoices):
    # "Active" of a person is 在职 (employed); of a code or a script it is 启用 (enabled).
    ACTIVE = "active", pgettext_lazy("staff status", "Active")
    DEPARTED = "departed", _("Departed")


class StaffQuerySet(ScopedQuerySet):
    scope_branch_field = "branch"
    scope_rm_sees = "own_branch"


class Staff(models.Model):
    """A bank employee's profile: role, place in the tree and WeCom identity."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff")
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="staff", verbose_name=_("branch"))
    wecom_userid = models.CharField(_("WeCom userid"), max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=StaffStatus.choices, default=StaffStatus.ACTIVE)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff")
        verbose_name_plural = _("staff")
        indexes = [models.Index(fields=["branch", "role"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    @property
    def is_active(self) -> bool:
        return self.status == StaffStatus.ACTIVE and self.user.is_active
