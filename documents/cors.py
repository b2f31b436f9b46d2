"""CORS for the origins tenants declare (django-cors-headers asks this when an origin is not
one of RELAIS_CORS_ALLOWED_ORIGINS). Which tenant's data a request reaches is the key's
business: a publishable key is refused from an origin its own tenant did not declare
(documents.api.authentication)."""

import re

from django.conf import settings

from .selectors import origin_allowed


def cors_allow_tenant_origins(sender, request, **kwargs) -> bool:
    # The signal's answer bypasses CORS_URLS_REGEX: check it here, or the admin would open.
    if not re.match(settings.CORS_URLS_REGEX, request.path_info):
        return False
    origin = request.headers.get("Origin")
    return bool(origin) and origin_allowed(origin)
