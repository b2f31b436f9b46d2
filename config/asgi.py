"""ASGI: the Socket.IO server (realtime) under /socket.io/, and everything else to
Django through its WSGI handler, run by a2wsgi in a fixed pool of RELAIS_WSGI_THREADS
threads, each request's body read first and each file response sent from the event loop
(core.asgi: BodyFirst, FilesOnLoop), so a slow client holds no thread.

Not Django's ASGI handler: Relais has no async view, and that handler ran each request in a
thread of its own, so no database connection was ever reused (PostgreSQL ran out of them
under load) and each request cost 3-4 times the CPU (README, "Benchmarks"). In a fixed pool
a thread keeps its connection (DJANGO_CONN_MAX_AGE) as a gthread worker does."""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
wsgi_application = get_wsgi_application()

from core.asgi import BodyFirst, FilesOnLoop, with_file_wrapper  # noqa: E402 - Django set up
from realtime.server import asgi_app  # noqa: E402

threads = int(os.environ.get("RELAIS_WSGI_THREADS", "8"))
django_application = BodyFirst(
    FilesOnLoop(WSGIMiddleware(with_file_wrapper(wsgi_application), workers=threads))
)

application = asgi_app(django_application)
