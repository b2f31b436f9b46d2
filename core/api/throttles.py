"""Throttles of the API."""

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, with rates read from settings at request time."""

    def get_rate(self):
        return settings.RELAIS_THROTTLE_RATES.get(self.scope)
