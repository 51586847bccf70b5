"""Cursor pagination: a stable, index-friendly walk through lists of any size.

A page is fetched by ``id`` (``WHERE id > cursor ORDER BY id LIMIT n``), so the tenth thousandth
page costs what the first does and rows added meanwhile neither repeat nor go missing.
"""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
