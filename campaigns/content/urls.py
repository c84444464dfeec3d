"""Content library API routes, mounted at /api/campaigns/ (the library pages are in ``page_urls``)."""

from rest_framework.routers import SimpleRouter

from campaigns.content import apis

router = SimpleRouter()
router.register("content", apis.ContentItemViewSet, basename="content-item")
router.register("content-categories", apis.ContentCategoryViewSet, basename="content-category")

urlpatterns = [*router.urls]
