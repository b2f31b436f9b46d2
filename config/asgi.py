"""ASGI, from stock parts: python-socketio's ASGIApp serves /socket.io/ (realtime) and
hands every other request to Django's WSGI handler (config.wsgi's: the node hot routes
with their shorter middleware list), run by a2wsgi in a fixed pool of
RELAIS_WSGI_THREADS threads.

Served by uvicorn alone in `make run` (one port, no proxy), and as the `realtime` process
behind nginx in production, where only /socket.io/ reaches it. Slow senders, slow readers
and file downloads are the proxy's job (docker/nginx), not this module's.

Not Django's ASGI handler: Relais has no async view, and that handler runs each request in
a thread of its own, so no database connection was ever reused (PostgreSQL ran out of them
under load) and each request cost 3-4 times the CPU (bench/README.md). In a fixed pool a
thread keeps its connection (DJANGO_CONN_MAX_AGE) as a gthread worker does."""

import os

from a2wsgi import WSGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
from config.wsgi import application as wsgi_application  # noqa: E402 - sets Django up
from realtime.server import asgi_app  # noqa: E402 - Django set up first

threads = int(os.environ.get("RELAIS_WSGI_THREADS", "8"))
application = asgi_app(WSGIMiddleware(wsgi_application, workers=threads))
