"""The WSGI application: Django's handler, and for the node hot routes the same handler
with a shorter middleware list, declared in settings (RELAIS_NODE_ROUTES,
NODE_MIDDLEWARE).

A fleet polls `updates/check`, pings and reports on a timer, so what the layers around
those few routes cost is paid on every poll. They are DRF views taking a bearer
credential and answering JSON: they read no session, no CSRF token (nodes send no cookie),
no user from the session, no messages, no static file, no admin lockout, and a clickjacking
header means nothing on JSON. So for them, and only for them, those layers are not loaded;
the route is the same view, reached through the same URL resolver and the same DRF stack,
with the same errors: one implementation per route. Everything else gets settings.MIDDLEWARE.
"""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler


class _HandlerWith(WSGIHandler):
    """Django's WSGI handler over another middleware list."""

    def __init__(self, middleware: list[str]):
        self.middleware = middleware
        super().__init__()

    def load_middleware(self, is_async=False):
        # Django builds the chain from settings.MIDDLEWARE; this list stands in for it while
        # the chain is built (once, when the application is made, before any request).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class NodeRoutesHandler(WSGIHandler):
    """settings.MIDDLEWARE for every request but those to RELAIS_NODE_ROUTES (exact paths),
    which get NODE_MIDDLEWARE."""

    def __init__(self):
        super().__init__()
        self.node_routes = frozenset(settings.RELAIS_NODE_ROUTES)
        self.node_handler = _HandlerWith(settings.NODE_MIDDLEWARE)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in self.node_routes:
            return self.node_handler(environ, start_response)
        return super().__call__(environ, start_response)
