"""Channel code API routes, mounted at /api/channels/ (pages are in ``page_urls``)."""

from rest_framework.routers import SimpleRouter

from channels.codes import apis

router = SimpleRouter()
router.register("codes", apis.ChannelCodeViewSet, basename="channel-code")

urlpatterns = router.urls
