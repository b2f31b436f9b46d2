"""Change lists at fleet scale: a paginator that never counts a large table exactly, and a
search that looks a hardware id up by prefix (an index) rather than `icontains` over every
row. Used by the device and update-session lists (bench/admin_lists.py measures them)."""

import math
import re
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet

# Rows counted exactly at most; beyond, a list shows an estimate and its pages stop here
# (page 2,000 of 50 rows; deeper, an operator filters or searches).
COUNT_CAP = 100_000

# A search term that reads as an identifier (no space, at least one digit, 4+ characters:
# a serial, a MAC address, a UUID) is looked up first as a hardware-id prefix (case-sensitive,
# as hardware ids are stored).
HARDWARE_ID_TERM = re.compile(r"^(?=.*\d)[\w:.\-]{4,200}$")


def estimated_rows(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the table's rows (pg_class.reltuples, kept by ANALYZE and
    autovacuum), or None elsewhere or when never analyzed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] > 0 else None


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (`SELECT COUNT(*) FROM (… LIMIT n)`); an unfiltered
    list on PostgreSQL takes the planner's estimate when it is above the cap. Pages stop at
    the cap, so no page costs an OFFSET deeper than COUNT_CAP rows."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return super().count
        if not rows.query.where:
            estimate = estimated_rows(rows)
            if estimate is not None and estimate > self.cap:
                return estimate
        return rows.order_by()[: self.cap + 1].count()

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return min(pages, max(1, math.ceil(self.cap / self.per_page)))


class FleetListMixin:
    """For a ModelAdmin over a large table: capped counts, no full-table count, and an
    id-looking search term matched as a prefix of `hardware_id_field`."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    # A page's render is Python, O(rows × columns) — unfold rebuilds the header row for
    # every row (unfold_list.items_for_result) — so 50 rows, not Django's 100.
    list_per_page = 50
    hardware_id_field = "hardware_id"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if HARDWARE_ID_TERM.match(term):
            # One index probe; a term no hardware id starts with (a name such as "PC-12")
            # falls back to the ordinary search.
            by_id = queryset.filter(Q(**{f"{self.hardware_id_field}__startswith": term}))
            if by_id.exists():
                return by_id, False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
