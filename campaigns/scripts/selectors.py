"""Reads of the script library. Scripts are bank-wide content: every member of staff reads them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from campaigns.models import Script, ScriptCategory


def script_categories_list() -> QuerySet[ScriptCategory]:
    return ScriptCategory.objects.order_by("sort_order", "name")


def scripts_list(*, query: str = "", category_id: int | None = None, active_only: bool = True) -> QuerySet[Script]:
    """Scripts shelf by shelf; ``query`` matches title or content, case-insensitively."""
    scripts = Script.objects.select_related("category")
    if active_only:
        scripts = scripts.filter(is_active=True)
    if category_id is not None:
        scripts = scripts.filter(category_id=category_id)
    query = query.strip()
    if query:
        scripts = scripts.filter(Q(title__icontains=query) | Q(content__icontains=query))
    return scripts.order_by("category__sort_order", "category__name", "sort_order", "id")


def script_get(*, script_id: int) -> Script:
    """Raises ``Script.DoesNotExist``."""
    return Script.objects.select_related("category").get(pk=script_id)
