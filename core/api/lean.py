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
throttled client, a parameter or body the plain case does not cover, any exception but a
database error, which the full stack would meet too and answer with a JSON 500), it
steps aside and the request goes down the full stack unchanged: the full stack alone
answers every error, so bodies, codes, dialects and languages of errors are the ones the
node API always gave. What the lean path answers is what the full stack answers for the same
request (tests compare both: releases/tests/test_lean.py, telemetry/tests/test_lean.py).

The lean path keeps what the node API promises: authentication by the same credentials at
every request (suspend, revoke or rotate take effect at the next request), the same throttle
buckets (a request counted there is not counted again if it steps aside; one it finds over
the limit is counted again by the full stack, which answers the 429), no broker.

RELAIS_NODE_LEAN = False turns it off (every request takes the full stack).
"""

import json
import logging

from django import db
from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from rest_framework.utils.encoders import JSONEncoder

from ..tasks import left_to_sweeps
from ..text import forbidden_in_document
from .views import NodeView

logger = logging.getLogger(__name__)


class LeanNodeView(NodeView):
    """A node route with a lean answer for the plain case (see the module's docstring).

    `lean_<method>(request, principal)` gets Django's HttpRequest (not DRF's) and the node's
    principal; it returns an HttpResponse (`lean_json`), or None (or raises) to step aside.
    It must not keep state on `self`: one instance serves every lean request. It must step
    aside, not answer, when the full stack would answer an error. A handler that writes
    validates first, then calls `lean_writing(request)`, then writes: an exception after
    that point is the answer (a 500), so nothing is written twice."""

    lean_methods: tuple[str, ...] = ()


class StepAside(Exception):  # noqa: N818 - a decision, not an error
    """Raised in a lean handler: the full stack answers this request."""


def lean_writing(request) -> None:
    """Called by a lean handler just before it writes: from there on, an exception is the
    request's answer (a 500, as on the full stack), not a reason to step aside and write
    again. Harmless when the full stack calls the same code with DRF's request."""
    request.relais_lean_wrote = True


def lean_json_body(request, limit: int):
    """The JSON document of a plain body, or StepAside (the full stack's parsers then give
    their answer): `application/json` in UTF-8, a Content-Length of at most `limit`, strict
    JSON (no NaN), no control character in any string."""
    media_type, _, charset = request.META.get("CONTENT_TYPE", "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise StepAside
    if charset and charset.strip().lower().replace('"', "") not in ("charset=utf-8", ""):
        raise StepAside
    length = request.META.get("CONTENT_LENGTH", "")
    if not length.isdigit() or int(length) > limit:
        raise StepAside
    data = json.loads(request.body.decode("utf-8"), parse_constant=_no_constant)
    if forbidden_in_document(data) is not None:
        raise StepAside
    return data


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


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
        self._authenticate = None  # RELAIS_NODE_LEAN_AUTHENTICATION, imported at first use

    def routes(self) -> dict:
        if self._routes is None:
            routes = {}
            for path, view_class in _walk(get_resolver().url_patterns):
                if not issubclass(view_class, LeanNodeView) or not view_class.lean_methods:
                    continue
                view = view_class()
                view.setup(None)  # as as_view() does per request: HEAD answered as GET
                handlers = {m: getattr(view, f"lean_{m.lower()}") for m in view.lean_methods}
                headers = {"Allow": ", ".join(view.allowed_methods)}
                if settings.X_FRAME_OPTIONS:
                    headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS
                routes[path] = (handlers, headers)
            self._routes = routes
            self._authenticate = import_string(settings.RELAIS_NODE_LEAN_AUTHENTICATION)
        return self._routes

    def __call__(self, request):
        route = self.routes().get(request.path_info) if settings.RELAIS_NODE_LEAN else None
        handler = route[0].get(request.method) if route else None
        if handler is not None:
            response = self.lean(request, handler, self._authenticate)
            if response is not None:
                return self.finish(request, response, route[1])
        return self.get_response(request)

    @staticmethod
    def finish(request, response, headers):
        """The headers the skipped layers would add: DRF's `Allow`, clickjacking's
        `X-Frame-Options`, CommonMiddleware's `Content-Length`, LocaleMiddleware's
        `Content-Language` and `Vary: Accept-Language`."""
        for name, value in headers.items():
            response.headers[name] = value
        response.headers["Content-Length"] = str(len(response.content))
        response.headers["Content-Language"] = translation.get_language_from_request(request)
        patch_vary_headers(response, ("Accept-Language",))
        return response

    @staticmethod
    def lean(request, handler, authenticate):
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it: else aside
            if settings.DISALLOWED_USER_AGENTS:
                return None  # CommonMiddleware's to refuse
            principal = authenticate(request)
            if principal is None:
                return None
            request.user = principal
            with left_to_sweeps():
                return handler(request, principal)
        except db.Error:
            # The full stack would meet the same database: its answer is this error's (a
            # JSON 500), without a second wait on a database that is down or slow.
            raise
        except Exception:
            if getattr(request, "relais_lean_wrote", False):
                raise  # written: answered as the full stack would (a 500), not written twice
            # Nothing written: the full stack answers, with its own error.
            logger.debug("lean path stepped aside", exc_info=True)
            return None
