"""What analytics keeps of its own: the home page's figures, counted once per scope."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.org.models import Branch, Role


class HomeSnapshot(models.Model):
    """A data scope's home-page figures, shared by everyone who has that scope.

    Head office's figures aggregate the whole bank and a branch manager's their subtree:
    seconds of work at a bank's size, the same for every viewer of the scope. The refresh
    task (``analytics.home_snapshots_refresh``) recounts the snapshots someone viewed lately,
    so a page reads one row by its key, whatever the scope's size.
    """

    scope_key = models.CharField(_("scope key"), max_length=200, unique=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    # The scope's root; null for the bank-wide roles.
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=16)
    figures = models.JSONField(_("figures"), encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField(_("computed at"))
    viewed_at = models.DateTimeField(_("viewed at"), db_index=True)

    class Meta:
        verbose_name = _("home page snapshot")
        verbose_name_plural = _("home page snapshots")

    def __str__(self) -> str:
        return self.scope_key
