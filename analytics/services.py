"""Writes of analytics: the home page's kept figures.

An RM's figures are their own and cheap; they are kept per viewer in the cache for
``HOME_FIGURES_CACHE_SECONDS``. A branch manager's and head office's aggregate a subtree or
the whole bank (seconds at a bank's size) and are the same for everyone with that scope:
they are counted into one :class:`~analytics.models.HomeSnapshot` per scope, which the
refresh task recounts every ``HOME_FIGURES_REFRESH_SECONDS`` while someone looks at it. A
page then reads one row; only the first view of a scope (or one after the refresh task
stalled for ``HOME_SNAPSHOT_MAX_AGE_SECONDS``) counts while the viewer waits.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import get_language

from analytics import selectors
from analytics.models import HomeSnapshot
from analytics.snapshots import decode, encode, scope_key
from scrm.org.scoping import DataScope, data_scope_for

logger = logging.getLogger(__name__)

# A view marks its snapshot as looked at no more often than this: one UPDATE per scope
# per interval, not one per page.
VIEW_MARK_INTERVAL = datetime.timedelta(minutes=10)


def home_page_figures(*, user: selectors.Viewer) -> dict[str, Any]:
    """Everything the viewer's home page shows, by role, each figure inside their scope."""
    scope = data_scope_for(user)
    if scope is None:
        return {}
    if scope.role in selectors.SHARED_SCOPE_ROLES:
        figures = _shared_scope_figures(user, scope)
    else:
        figures = _viewer_figures(user, scope)
    return figures | selectors.home_live_figures(role=scope.role, user=user)


def _viewer_figures(user: selectors.Viewer, scope: DataScope) -> dict[str, Any]:
    key = selectors.home_viewer_cache_key(user=user, scope=scope, language=get_language())
    figures = cache.get(key)
    if figures is None:
        figures = selectors.home_counted_figures(role=scope.role, user=user) | {"computed_at": timezone.now()}
        cache.set(key, figures, settings.HOME_FIGURES_CACHE_SECONDS)
    return dict(figures)


def _shared_scope_figures(user: selectors.Viewer, scope: DataScope) -> dict[str, Any]:
    key = scope_key(scope, get_language())
    snapshot = selectors.home_snapshot_fresh(key=key)
    now = timezone.now()
    if snapshot is None:
        snapshot = _home_snapshot_count(user=user, scope=scope, key=key)
    elif snapshot.viewed_at < now - VIEW_MARK_INTERVAL:
        HomeSnapshot.objects.filter(pk=snapshot.pk).update(viewed_at=now)
    return decode(snapshot.figures) | {"computed_at": snapshot.computed_at}


def _home_snapshot_count(*, user: selectors.Viewer, scope: DataScope, key: str) -> HomeSnapshot:
    """Count the scope's figures now and keep them under ``key`` (an upsert: two first views race safely)."""
    figures = encode(selectors.home_counted_figures(role=scope.role, user=user))
    now = timezone.now()
    snapshot = HomeSnapshot(
        scope_key=key,
        role=scope.role,
        branch_id=None if scope.is_bank_wide else scope.branch_id,
        language=get_language(),
        figures=figures,
        computed_at=now,
        viewed_at=now,
    )
    HomeSnapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["scope_key"],
        update_fields=["figures", "computed_at", "viewed_at"],
    )
    return snapshot


def home_snapshot_refresh(*, snapshot_id: int) -> bool:
    """Recount one kept scope, as someone who has it; False when it was fresh enough or nobody has it now."""
    snapshot = HomeSnapshot.objects.filter(pk=snapshot_id).first()
    if snapshot is None:
        return False
    # A retried or doubled task finds the figures just counted and leaves them.
    if snapshot.computed_at > timezone.now() - datetime.timedelta(seconds=settings.HOME_FIGURES_REFRESH_SECONDS / 2):
        return False
    viewer = selectors.home_snapshot_viewer(snapshot)
    scope = data_scope_for(viewer)
    if viewer is None or scope is None or scope_key(scope, snapshot.language) != snapshot.scope_key:
        # The scope's managers left, or its branch moved: the next view counts its new key.
        snapshot.delete()
        return False
    with translation.override(snapshot.language):
        _home_snapshot_count(user=viewer, scope=scope, key=snapshot.scope_key)
    return True


def home_snapshots_due() -> list[int]:
    """The snapshots to recount now (someone looked lately); the ones nobody looked at for a day are dropped."""
    looked_at_since = timezone.now() - datetime.timedelta(seconds=settings.HOME_SNAPSHOT_KEEP_SECONDS)
    dropped, _ = HomeSnapshot.objects.filter(viewed_at__lt=looked_at_since).delete()
    if dropped:
        logger.info("home snapshots dropped, nobody looked at them", extra={"count": dropped})
    return list(selectors.home_snapshots_viewed_since(looked_at_since).values_list("id", flat=True))


def home_figures_forget(*, user: selectors.Viewer) -> None:
    """Drop what is kept for the viewer, so their next home page counts afresh (the benchmark's cold run)."""
    scope = data_scope_for(user)
    if scope is None:
        return
    languages = [code for code, _ in settings.LANGUAGES]
    if scope.role in selectors.SHARED_SCOPE_ROLES:
        HomeSnapshot.objects.filter(scope_key__in=[scope_key(scope, code) for code in languages]).delete()
    cache.delete_many([selectors.home_viewer_cache_key(user=user, scope=scope, language=code) for code in languages])
