from django.urls import include, path
from rest_framework.routers import SimpleRouter

from customers import apis
from customers.consent.apis import CustomerConsentsApi
from customers.search.urls import urlpatterns as search_urlpatterns
from customers.segments.urls import urlpatterns as segment_urlpatterns
from customers.timeline.apis import CustomerTimelineApi
from customers.transfers.apis import CustomerTransferApi

router = SimpleRouter()
router.register("", apis.CustomerViewSet, basename="customer")

# The router's detail route matches any first path segment, so it goes last.
urlpatterns = [
    path("imports/", include("customers.imports.urls")),
    path("", include("customers.tagging.urls")),
    *search_urlpatterns,
    *segment_urlpatterns,
    path("transfers/", CustomerTransferApi.as_view(), name="customer-transfer"),
    path("<str:customer_no>/timeline/", CustomerTimelineApi.as_view(), name="customer-timeline"),
    path("<str:customer_no>/consents/", CustomerConsentsApi.as_view(), name="customer-consents"),
    path("<str:customer_no>/360/", apis.Customer360Api.as_view(), name="customer-360"),
    path("<str:customer_no>/reveal/", apis.CustomerRevealPiiApi.as_view(), name="customer-reveal-pii"),
    *router.urls,
]
