from django.urls import path
from rest_framework.routers import SimpleRouter

from customers import apis

router = SimpleRouter()
router.register("", apis.CustomerViewSet, basename="customer")

# The router's detail route matches any first path segment, so it goes last.
urlpatterns = [
    path("<str:customer_no>/reveal/", apis.CustomerRevealPiiApi.as_view(), name="customer-reveal-pii"),
    *router.urls,
]
