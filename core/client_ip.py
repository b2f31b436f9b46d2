"""The client's address, the same way everywhere (API throttles, admin login lockout)."""

import ipaddress

from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str:
    """REMOTE_ADDR, or, behind RELAIS_NUM_PROXIES trusted proxies, the X-Forwarded-For entry
    the outermost of them added: DRF's throttle identity. Anything that is not an address
    (a forged header) falls back to REMOTE_ADDR."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return request.META.get("REMOTE_ADDR", "")
