"""The script library (话术): texts and links RMs send into a chat."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.org.models import Staff


class ScriptCategory(models.Model):
    """A shelf of the script library, e.g. 开场白 or 到期提醒."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("script category")
        verbose_name_plural = _("script categories")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ScriptKind(models.TextChoices):
    TEXT = "text", _("Text")
    LINK = "link", _("Link")


class Script(models.Model):
    """One 话术 that head office wrote and any member of staff may send into a chat.

    A text script is sent as it is; a link script is sent as a link card whose title is
    ``title``, whose description is ``content`` and which opens ``link_url``.
    """

    category = models.ForeignKey(
        ScriptCategory, on_delete=models.PROTECT, related_name="scripts", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=ScriptKind.choices, default=ScriptKind.TEXT)
    content = models.TextField(_("content"), max_length=2000)
    link_url = models.URLField(_("link"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    # Staff are kept when they leave (departed), so these only empty if a profile is purged;
    # the audit trail keeps the author either way.
    created_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True)
    updated_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("script")
        verbose_name_plural = _("scripts")
        ordering = ["category__sort_order", "category__name", "sort_order", "id"]
        indexes = [models.Index(fields=["category", "is_active", "sort_order"], name="campaigns_script_shelf_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=ScriptKind.LINK) | ~models.Q(link_url=""), name="campaigns_script_link_has_url"
            )
        ]

    def __str__(self) -> str:
        return self.title
