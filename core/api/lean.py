"""The node hot path without the framework: a lean answer for the plain case, the full stack
for everything else.

A fleet polls `updates/check` (and pings, reports telemetry) on a timer, so what one such
request costs decides what serving a fleet costs. Through the full stack it pays for
sessions, CSRF, locale, messages, authentication middleware, DRF's request wrapping,
content negotiation, authenticators built per request, a throttle doing two cache round
trips and a serializer-free but still generic renderer; measured in bench/README.md, that
was more than the check's own work.

`LeanNodeMiddleware` sits before the session middleware. For a route whose view is a
`LeanNodeView` and a method it lists in `lean_methods`, it tries the view's `lean_<method>`
with a principal from RELAIS_NODE_LEAN_AUTHENTICATION (one indexed query, only the columns a
node route reads) and a throttle counted in one cache round trip. Whenever the lean path is
not sure it would answer exactly as the full stack does (no or unusual credentials, an
address that failed to authenticate, an unknown device, a license that is not valid, a
throttled client, a parameter or body the plain case does not cover, any exception), it
steps aside and the request goes down the full stack unchanged: the full stack alone
answers every error, so bodies, codes, dialects and languages of errors are the ones the
node API always gave. What the lean path answers is what the full stack answers for the same
request (tests compare both, core/tests/test_lean.py).

The lean path keeps what the node API promises: authentication by the same credentials at
every request (suspend, revoke or rotate take effect at the next request), the same throttle
buckets (a request counted there is not counted again if it steps aside), no broker. Its
answers carry no Content-Language: their bodies hold no translated text.

RELAIS_NODE_LEAN = False turns it off (every request takes the full stack).
"""

import json
import logging

from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils.module_loading import import_string
from rest_framework.utils.encoders import JSONEncoder

from ..tasks import left_to_sweeps
from .views import NodeView

logger = logging.getLogger(__name__)


class LeanNodeView(NodeView):
    """A node route with a lean answer for the plain case (see the module's docstring).

    `lean_<method>(request, principal)` gets Django's HttpRequest (not DRF's) and the node's
    principal; it returns an HttpResponse (`lean_json`), or None to step aside. It must not
    keep state on `self`: one instance serves every lean request. It must step aside, not
    answer, when the full stack would answer an error; an exception steps aside too, so a
    lean handler that writes must write last and at most once."""

    lean_methods: tuple[str, ...] = ()


def lean_json(data, status: int = 200) -> HttpResponse:
    """`data` rendered exactly as the API's JSONRenderer renders it (compact, UTF-8, DRF's
    encoder for dates and UUIDs, U+2028/U+2029 escaped)."""
    text = json.dumps(
        data, cls=JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return HttpResponse(text.encode(), status=status, content_type="application/json")


def _walk(patterns, prefix=""):
    """(path, view class) of every route without converters, from the URL tree."""
    for entry in patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern) or "<" in pattern._route:
            continue
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + pattern._route)
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "view_class", None)
            if view_class is not None:
                yield "/" + prefix + pattern._route, view_class


class LeanNodeMiddleware:
    """Answers the plain case of LeanNodeView routes before the session middleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._routes = None  # path → (handlers by method, headers); built at first use

    def routes(self) -> dict:
        if self._routes is None:
            routes = {}
            for path, view_class in _walk(get_resolver().url_patterns):
                if not issubclass(view_class, LeanNodeView) or not view_class.lean_methods:
                    continue
                view = view_class()
                view.setup(None)  # as as_view() does per request: HEAD answered as GET
                handlers = {m: getattr(view, f"lean_{m.lower()}") for m in view.lean_methods}
                headers = {"Allow": ", ".join(view.allowed_methods), "X-Frame-Options": "DENY"}
                routes[path] = (handlers, headers)
            self._routes = routes
        return self._routes

    def __call__(self, request):
        route = self.routes().get(request.path_info) if settings.RELAIS_NODE_LEAN else None
        handler = route[0].get(request.method) if route else None
        if handler is not None:
            response = self.lean(request, handler)
            if response is not None:
                for name, value in route[1].items():
                    response.headers[name] = value
                return response
        return self.get_response(request)

    @staticmethod
    def lean(request, handler):
        try:
            authenticate = import_string(settings.RELAIS_NODE_LEAN_AUTHENTICATION)
            principal = authenticate(request)
            if principal is None:
                return None
            request.user = principal
            with left_to_sweeps():
                return handler(request, principal)
        except Exception:  # noqa: BLE001 - the full stack answers, with its own error
            logger.debug("lean path stepped aside on an exception", exc_info=True)
            return None
