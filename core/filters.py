"""Filter values the database can hold, checked once for every filterset (django-filter).

A filter's form field parses `?last_seen_before=0032-11-16T15:02:16+23:36` into a valid
Python datetime that PostgreSQL refuses (a time zone displacement beyond ±15:59), and
`?n=1e30` into a Decimal beyond bigint: a 500 at query time. Here every cleaned value is
brought into range or refused with a 400 before the query is built."""

import datetime as dt
from decimal import Decimal

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def _bounded(value):
    """`value` as the database can take it; ValueError when it cannot."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:  # UTC, as stored: any offset Python accepts (< 24 h) then reaches the database
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError(_("Date and time out of range.")) from None
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        if not (BIGINT_MIN <= value <= BIGINT_MAX):
            raise ValueError(_("Number out of range."))
    elif isinstance(value, slice):  # RangeFilter
        return slice(_bounded(value.start), _bounded(value.stop), value.step)
    elif isinstance(value, list | tuple):  # BaseInFilter, multiple choices
        return type(value)(_bounded(v) for v in value)
    return value


class _BoundedForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            try:
                cleaned[name] = _bounded(value)
            except ValueError as exc:
                self.add_error(name, str(exc))
        return cleaned


class BoundedFilterSet(django_filters.FilterSet):
    """A filterset whose values are checked against the database's ranges."""

    def get_form_class(self):
        form = super().get_form_class()
        return type(form.__name__, (_BoundedForm, form), {})


# The admin changelist's own parameters, never compared with a column.
_ADMIN_PARAMS = frozenset({"q", "o", "p", "e", "all", "_popup", "_to_field", "_changelist_filters"})


def admin_query_in_utc(query):
    """A copy of an admin changelist's query with every aware datetime value in UTC (the
    admin lets a URL filter any of the model's own columns, `?last_seen_at__gte=…`).
    ValueError when a value has no UTC equivalent within the calendar."""
    result = query.copy()
    for name, values in query.lists():
        if name not in _ADMIN_PARAMS:
            result.setlist(name, [_utc_text(value) for value in values])
    return result


def _utc_text(value: str) -> str:
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return value
    if parsed is None or parsed.tzinfo is None:
        return value
    return _bounded(parsed).isoformat()
