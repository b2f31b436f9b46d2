"""ASGI: Django, with the Socket.IO server (sync.realtime) under /socket.io/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Each ASGI request runs in a new thread: without a pool its connection is never reused.
os.environ.setdefault("DJANGO_DB_POOL", "true")
django_application = get_asgi_application()

from sync.realtime.server import asgi_app  # noqa: E402 - needs Django set up

application = asgi_app(django_application)
