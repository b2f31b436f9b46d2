"""Request count and latency per route name, method and status (core.metrics).

The label is the URL pattern's name (`view_name`, e.g. `update-check`), never the path: a
path holds ids. Unknown methods count as `other`, unresolved paths as `unmatched`, so no
client can grow the label sets. Listed first in MIDDLEWARE and NODE_MIDDLEWARE (the node hot
routes, core.handlers): it measures what the client waited for, errors included. No query,
no I/O: two in-memory increments (a memory-mapped file in multiprocess mode)."""

import time

from core.metrics import HTTP_LATENCY, HTTP_REQUESTS

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(route).observe(time.perf_counter() - started)
        return response
