"""Pagination of the management API (kept apart: DRF's settings import it while views are
still loading)."""

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=&offset=`, with `limit` capped at RELAIS_API_MAX_PAGE_SIZE (read per request):
    no client pulls a whole table in one answer, nor sends PostgreSQL a LIMIT beyond bigint.
    A larger limit gives a full page and a `next` link, as DRF does with `max_limit`."""

    @property
    def max_limit(self):
        return settings.RELAIS_API_MAX_PAGE_SIZE
