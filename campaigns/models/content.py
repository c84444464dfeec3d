"""The content library (素材库): what head office prepares for RMs to send to customers.

An item is text, an image, a link card, a mini-program card, a file or a video. Its
file (or, for cards, its cover image) lives in Django storage; WeCom sees it only when
it is first sent, as a temporary media_id kept in ``ContentMedia`` (valid 3 days).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scrm.org.models import Branch, Staff
from scrm.org.roles import Role
from scrm.org.scoping import DataScope, ScopedQuerySet


class ContentCategory(models.Model):
    """A shelf of the content library, e.g. 理财产品 or 活动海报."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("content category")
        verbose_name_plural = _("content categories")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ContentKind(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    LINK = "link", _("Link card")
    MINIPROGRAM = "miniprogram", _("Mini-program card")
    FILE = "file", _("File")
    VIDEO = "video", _("Video")


# Kinds whose payload is the uploaded file; the cards' file is their cover image.
FILE_KINDS = frozenset({ContentKind.IMAGE, ContentKind.FILE, ContentKind.VIDEO})
COVER_KINDS = frozenset({ContentKind.LINK, ContentKind.MINIPROGRAM})


class ContentItemQuerySet(ScopedQuerySet):
    """Who may use an item: the whole bank (no branch), or one branch's subtree.

    A member sees the bank-wide items and those of every branch on the path from head
    office to their own branch (an item for 北京分行 is for everyone under it). A branch
    manager also sees the items made for branches inside their subtree; bank-wide roles
    see everything.
    """

    def scope_condition(self, scope: DataScope) -> Q | None:
        if scope.is_bank_wide:
            return None
        steplen = Branch.steplen
        ancestry = [scope.branch_path[:end] for end in range(steplen, len(scope.branch_path) + 1, steplen)]
        usable = Q(branch__isnull=True) | Q(branch__path__in=ancestry)
        if scope.role == Role.BRANCH_MANAGER:
            return usable | Q(branch__path__startswith=scope.branch_path)
        return usable


class ContentItem(models.Model):
    """One 素材. Fields beyond title, kind and category matter per kind (see ``campaigns.content.services``)."""

    category = models.ForeignKey(
        ContentCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContentKind.choices)
    title = models.CharField(_("title"), max_length=64)
    # Text: the message; link card: its description; others: a note for the library.
    description = models.TextField(_("description"), max_length=2000, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    appid = models.CharField(_("mini-program appid"), max_length=64, blank=True)
    page_path = models.CharField(_("mini-program page"), max_length=500, blank=True)
    # Image, file, video: the payload; link and mini-program cards: the cover image.
    file = models.FileField(_("file"), max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_mime = models.CharField(_("file type"), max_length=100, blank=True)
    # No branch: the whole bank may use it; otherwise that branch's subtree.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("for branch")
    )
    tags = ArrayField(models.CharField(max_length=32), default=list, blank=True, verbose_name=_("tags"))
    is_active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times sent"), default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True)
    updated_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContentItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("content item")
        verbose_name_plural = _("content items")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["category", "is_active"], name="campaigns_content_shelf_idx"),
            GinIndex(fields=["tags"], name="campaigns_content_tags_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ContentKind.values), name="campaigns_content_kind_known"),
            models.CheckConstraint(
                condition=~Q(kind__in=[ContentKind.IMAGE, ContentKind.FILE, ContentKind.VIDEO]) | ~Q(file=""),
                name="campaigns_content_file_kinds_have_file",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ContentKind.LINK) | ~Q(url=""), name="campaigns_content_link_has_url"
            ),
            models.CheckConstraint(
                condition=~Q(kind=ContentKind.MINIPROGRAM) | (~Q(appid="") & ~Q(page_path="") & ~Q(file="")),
                name="campaigns_content_miniprogram_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_file(self) -> bool:
        return bool(self.file)


class MediaPurpose(models.TextChoices):
    # media/upload: chats, welcome messages, 群发 (add_msg_template).
    MESSAGE = "message", _("Messages")
    # media/upload_attachment with attachment_type=1: moments (朋友圈).
    MOMENT = "moment", _("Moments")


class ContentMedia(models.Model):
    """The WeCom media_id of an item's file for one purpose, with when WeCom forgets it.

    ``generation`` counts uploads; the outbox key of the next upload carries it, so two
    callers that find the media stale at once share one upload.
    """

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="media")
    purpose = models.CharField(max_length=16, choices=MediaPurpose.choices)
    media_id = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=16, blank=True)
    # The stored file the media_id was made from: a replaced file needs a new upload.
    storage_name = models.CharField(max_length=300, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WeCom media")
        verbose_name_plural = _("WeCom media")
        constraints = [
            models.UniqueConstraint(fields=["item", "purpose"], name="campaigns_content_media_once_per_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.purpose} {self.media_id or '-'}"
