"""ASGI: Django, with the Socket.IO server (sync.realtime) under /socket.io/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Under ASGI each request runs in its own context, so a persistent connection is never
# reused and is left open until collected: under load the server ran out of PostgreSQL
# connections (bench/node_wrk.py --worker-class uvicorn_worker.UvicornWorker: 1,400 errors
# in 30 s with 60 s, none with 0). Django's advice: no persistent connections under ASGI.
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "0")
django_application = get_asgi_application()

from sync.realtime.server import asgi_app  # noqa: E402 - needs Django set up

application = asgi_app(django_application)
