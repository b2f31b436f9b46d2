"""Pagination of the management API (kept apart: DRF's settings import it while views are
still loading)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=&offset=`, with `limit` capped at RELAIS_API_MAX_PAGE_SIZE (read per request):
    no client pulls a whole table in one answer, nor sends PostgreSQL a LIMIT beyond bigint.
    A larger limit gives a full page and a `next` link, as DRF does with `max_limit`.
    Either parameter given but not a whole number (`limit` ≥ 1, `offset` ≥ 0) is a 400,
    where DRF would quietly serve the default page."""

    @property
    def max_limit(self):
        return settings.RELAIS_API_MAX_PAGE_SIZE

    def get_limit(self, request):
        self._check(request, self.limit_query_param, minimum=1)
        return super().get_limit(request)

    def get_offset(self, request):
        self._check(request, self.offset_query_param, minimum=0)
        return super().get_offset(request)

    @staticmethod
    def _check(request, name, *, minimum):
        raw = request.query_params.get(name)
        if raw is None:
            return
        if not (raw.isascii() and raw.isdigit() and int(raw) >= minimum):
            message = _("Must be a whole number, at least %(minimum)d.") % {"minimum": minimum}
            raise ValidationError({name: [message]})
