"""The project's URLs plus the segment and search routes, mounted where the lead will mount them.

Until customers/urls.py includes them, tests use this URLconf with
``@pytest.mark.urls("tests.customers.segments.urls")``.
"""

from django.conf.urls.i18n import i18n_patterns
from django.urls import LocalePrefixPattern, URLResolver, include, path

from customers.search import page_urls as search_page_urls
from customers.search import urls as search_urls
from customers.segments import page_urls as segment_page_urls
from customers.segments import urls as segment_urls
from scrm import urls as project

api_patterns = [
    path("customers/", include([*segment_urls.urlpatterns, *search_urls.urlpatterns])),
    *project.api_patterns,
]
project_pages = next(
    pattern
    for pattern in project.urlpatterns
    if isinstance(pattern, URLResolver) and isinstance(pattern.pattern, LocalePrefixPattern)
)

urlpatterns = [
    path("api/", include((api_patterns, "api"))),
    *[pattern for pattern in project.urlpatterns if pattern not in (project_pages,) and str(pattern.pattern) != "api/"],
    *i18n_patterns(
        *project_pages.url_patterns,
        path("segments/", include(segment_page_urls)),
        path("customers/", include(search_page_urls)),
        prefix_default_language=False,
    ),
]
