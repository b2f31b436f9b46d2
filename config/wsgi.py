import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup(set_prefix=False)

from core.handlers import NodeRoutesHandler  # noqa: E402 - Django set up first

# Django's WSGI handler, with a shorter middleware list for the node hot routes.
application = NodeRoutesHandler()
