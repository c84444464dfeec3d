"""Campaign API routes, mounted at /api/campaigns/: the script library, then campaigns themselves."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from campaigns import apis

router = SimpleRouter()
router.register("tasks", apis.CampaignTaskViewSet, basename="campaign-task")
router.register("", apis.CampaignViewSet, basename="campaign")

urlpatterns = [
    path("", include("campaigns.scripts.urls")),
    path("", include("campaigns.content.urls")),
    *router.urls,
]
