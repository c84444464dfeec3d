"""The compliance word library (敏感词库) and the settings of the built-in personal-information patterns."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.org.models import Staff


class ContentCategory(models.TextChoices):
    """What a hit is about; a word's category, or 个人信息 for the built-in patterns."""

    PROMISED_RETURN = "promised_return", _("Promised return")
    OFF_BOOK_SALE = "off_book_sale", _("Off-book sale")
    COMPETITOR = "competitor", _("Competitor")
    ABUSE = "abuse", _("Abuse")
    POLITICAL = "political", _("Political")
    CUSTOM = "custom", _("Custom")
    PERSONAL_INFORMATION = "personal_information", _("Personal information")


class ContentAction(models.TextChoices):
    """What a hit does to the text that carries it: stopped, or sent to a person to review."""

    BLOCK = "block", _("Block")
    REVIEW = "review", _("Review")


class PiiPattern(models.TextChoices):
    """The built-in patterns for personal information in outgoing text."""

    MOBILE = "mobile", _("Mainland mobile number")
    ID_NUMBER = "id_number", _("Resident ID number")
    BANK_CARD = "bank_card", _("Bank card number")


class SensitiveWord(models.Model):
    """One word or phrase of the library. ``normalised`` is what the matcher looks for."""

    word = models.CharField(_("word"), max_length=64)
    # Folded and without separators (risk.compliance.normalise.term_normalise): two words
    # that read the same once normalised are one entry.
    normalised = models.CharField(max_length=64, unique=True, editable=False)
    category = models.CharField(_("category"), max_length=24, choices=ContentCategory.choices)
    action = models.CharField(_("action"), max_length=8, choices=ContentAction.choices, default=ContentAction.BLOCK)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Staff are kept when they leave, so these only empty if a profile is purged; the audit
    # trail keeps the author either way.
    created_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True)
    updated_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sensitive word")
        verbose_name_plural = _("sensitive words")
        ordering = ["id"]
        indexes = [models.Index(fields=["category", "action", "is_active"], name="risk_word_filter_idx")]

    def __str__(self) -> str:
        return self.word


class PiiPatternSetting(models.Model):
    """The action and switch of one built-in pattern; a pattern without a row reviews and is on."""

    pattern = models.CharField(_("pattern"), max_length=16, choices=PiiPattern.choices, unique=True)
    action = models.CharField(_("action"), max_length=8, choices=ContentAction.choices, default=ContentAction.REVIEW)
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("personal information pattern")
        verbose_name_plural = _("personal information patterns")

    def __str__(self) -> str:
        return self.pattern


class LibraryVersion(models.Model):
    """One row: bumped in the transaction of every library change, so matchers know to recompile.

    ``token`` is new at every bump: a version number of a rolled-back change can come again
    with other contents, a token never does.
    """

    version = models.PositiveBigIntegerField(default=1)
    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("library version")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="risk_library_version_single_row")]

    def __str__(self) -> str:
        return f"v{self.version}"
