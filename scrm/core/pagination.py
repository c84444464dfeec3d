from django.http import HttpRequest
from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Keyset (cursor) pages: as fast on page 10,000 as on page 1."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500


def next_page_url(request: HttpRequest, cursor: str) -> str:
    """This page's address with its query kept and ``cursor`` set: the pages' "load more" link."""
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"
