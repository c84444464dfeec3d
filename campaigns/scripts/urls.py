"""Script API routes, mounted at /api/campaigns/ (head office's library pages are in ``page_urls``)."""

from rest_framework.routers import SimpleRouter

from campaigns.scripts import apis

router = SimpleRouter()
router.register("scripts", apis.ScriptViewSet, basename="script")
router.register("script-categories", apis.ScriptCategoryViewSet, basename="script-category")

urlpatterns = [*router.urls]
