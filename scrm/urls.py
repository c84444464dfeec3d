from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics import views as analytics_views
from scrm.core import views as core_views
from scrm.org import views as org_views

api_patterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("org/", include("scrm.org.urls")),
    path("customers/", include("customers.urls")),
    path("channels/", include("channels.codes.urls")),
    path("channels/", include("channels.identity.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("risk/", include("risk.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api_patterns, "api"))),
    # The chat sidebar sits outside the language prefix: WeCom redirects to one fixed URL.
    path("sidebar/", include("workbench.sidebar.urls")),
    path("wecom/callback/", include("channels.callbacks.urls")),
    # Link-card covers, fetched by customers' phones through WeCom: one fixed URL, no language.
    path("content/", include("campaigns.content.public_urls")),
]
urlpatterns += i18n_patterns(
    path("", analytics_views.HomeView.as_view(), name="home"),
    path("login/", org_views.LoginView.as_view(), name="login"),
    path("logout/", org_views.LogoutView.as_view(), name="logout"),
    path("tags/", include("customers.tagging.page_urls")),
    path("customers/imports/", include("customers.imports.page_urls")),
    path("customers/transfers/", include("customers.transfers.page_urls")),
    path("channels/codes/", include("channels.codes.page_urls")),
    path("channels/identity/", include("channels.identity.page_urls")),
    path("channels/contacts/", include("channels.contacts.page_urls")),
    path("channels/groups/", include("channels.groups.page_urls")),
    path("h5/verify/", include("channels.identity.h5_urls")),
    path("h5/preferences/", include("customers.consent.h5_urls")),
    path("customers/", include("customers.search.page_urls")),
    path("customers/", include("customers.page_urls")),
    path("segments/", include("customers.segments.page_urls")),
    path("campaigns/scripts/", include("campaigns.scripts.page_urls")),
    path("campaigns/content/", include("campaigns.content.page_urls")),
    path("campaigns/", include("campaigns.page_urls")),
    path("compliance/words/", include("risk.compliance.page_urls")),
    path("compliance/violations/", include("risk.compliance.violations.page_urls")),
    path("compliance/archive/", include("risk.compliance.archive.page_urls")),
    path("churn/", include("risk.churn.page_urls")),
    path("org/", include("workbench.orgadmin.page_urls")),
    path("compliance/audit/", include("analytics.console.page_urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
