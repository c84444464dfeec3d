from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Keyset (cursor) pages: as fast on page 10,000 as on page 1."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500
