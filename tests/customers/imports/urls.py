"""The project's routes with the import routes mounted as scrm/urls.py will mount them:
the API inside the ``api`` namespace at ``/api/customers/imports/``, the pages under
``i18n_patterns`` at ``/customers/imports/``."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import URLResolver, include, path

from customers.imports.page_urls import urlpatterns as import_page_urlpatterns
from customers.imports.urls import urlpatterns as import_api_urlpatterns
from scrm import urls as project

urlpatterns = [
    path(
        "api/", include(([path("customers/imports/", include(import_api_urlpatterns)), *project.api_patterns], "api"))
    ),
    *i18n_patterns(path("customers/imports/", include(import_page_urlpatterns)), prefix_default_language=False),
    *(
        pattern
        for pattern in project.urlpatterns
        if not (isinstance(pattern, URLResolver) and pattern.namespace == "api")
    ),
]
