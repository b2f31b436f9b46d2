"""Socket.IO figures for /api/v1/health (this process's; each worker reports its own)."""

from django.conf import settings

from .state import state


def health_info() -> dict:
    return {
        "serving": state.sio is not None,
        "manager": "redis" if settings.REDIS_URL else "in-process",
        "connections": len(state.connections),
        "authenticatedSites": len(state.sites),
        # A copy first: the event loop thread may add a counter meanwhile.
        "counters": dict(sorted(dict(state.counters).items())),
    }
