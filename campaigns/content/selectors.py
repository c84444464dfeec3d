"""Reads of the content library. Items are read within the viewer's use scope
(``ContentItem.objects.visible_to``): the bank's, and those of their branch's line."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from campaigns.models import ContentCategory, ContentItem


def content_categories_list() -> QuerySet[ContentCategory]:
    return ContentCategory.objects.order_by("sort_order", "name")


def content_items_list(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    query: str = "",
    category_id: int | None = None,
    kind: str = "",
    tag: str = "",
    active_only: bool = True,
) -> QuerySet[ContentItem]:
    """Items the user may use, newest first; ``query`` matches title, description or a tag exactly."""
    items = ContentItem.objects.visible_to(user).select_related("category", "branch")
    if active_only:
        items = items.filter(is_active=True)
    if category_id is not None:
        items = items.filter(category_id=category_id)
    if kind:
        items = items.filter(kind=kind)
    if tag.strip():
        items = items.filter(tags__contains=[tag.strip()])
    query = query.strip()
    if query:
        items = items.filter(Q(title__icontains=query) | Q(description__icontains=query) | Q(tags__contains=[query]))
    return items.order_by("-updated_at", "-id")


def content_item_get(*, item_id: int, user: AbstractBaseUser | AnonymousUser | None) -> ContentItem:
    """An item the user may use, retired or not. Raises ``ContentItem.DoesNotExist``."""
    return ContentItem.objects.visible_to(user).select_related("category", "branch").get(pk=item_id)


def content_cover_item(*, item_id: int) -> ContentItem | None:
    """An active item by id, for its public cover image only (the caller has verified a signed id)."""
    return ContentItem.objects.filter(pk=item_id, is_active=True).exclude(file="").first()
