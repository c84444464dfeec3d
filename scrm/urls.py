from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from analytics import views as analytics_views
from campaigns.scripts.urls import page_urlpatterns as script_page_urlpatterns
from channels.identity.urls import h5_urlpatterns as identity_h5_urlpatterns
from channels.identity.urls import page_urlpatterns as identity_page_urlpatterns
from customers import views as customer_views
from customers.imports.urls import page_urlpatterns as import_page_urlpatterns
from customers.search.urls import page_urlpatterns as search_page_urlpatterns
from customers.segments.urls import page_urlpatterns as segment_page_urlpatterns
from customers.transfers.urls import page_urlpatterns as transfer_page_urlpatterns
from scrm.core import views as core_views
from scrm.org import views as org_views

api_patterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("org/", include("scrm.org.urls")),
    path("customers/", include("customers.urls")),
    path("channels/", include("channels.codes.urls")),
    path("channels/", include("channels.identity.urls")),
    path("campaigns/", include("campaigns.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api_patterns, "api"))),
    # The chat sidebar sits outside the language prefix: WeCom redirects to one fixed URL.
    path("sidebar/", include("workbench.sidebar.urls")),
    path("wecom/callback/", include("channels.callbacks.urls")),
]
urlpatterns += i18n_patterns(
    path("", analytics_views.HomeView.as_view(), name="home"),
    path("login/", org_views.LoginView.as_view(), name="login"),
    path("logout/", org_views.LogoutView.as_view(), name="logout"),
    path("tags/", include("customers.tagging.page_urls")),
    path("customers/imports/", include(import_page_urlpatterns)),
    path("customers/transfers/", include(transfer_page_urlpatterns)),
    path("channels/codes/", include("channels.codes.page_urls")),
    path("channels/identity/", include(identity_page_urlpatterns)),
    path("h5/verify/", include(identity_h5_urlpatterns)),
    *search_page_urlpatterns,
    path("customers/<str:customer_no>/", customer_views.Customer360Page.as_view(), name="customer-page"),
    path("customers/<str:customer_no>/reveal/", customer_views.CustomerRevealPartial.as_view(), name="customer-reveal"),
    *segment_page_urlpatterns,
    path("campaigns/scripts/", include(script_page_urlpatterns)),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
