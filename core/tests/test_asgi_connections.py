"""Under ASGI, persistent database connections are off unless asked for (config/asgi.py)."""

import os
import subprocess
import sys

SHOW = (
    "import config.asgi; from django.conf import settings; "
    "print(settings.DATABASES['default']['CONN_MAX_AGE'])"
)


def _conn_max_age(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_CONN_MAX_AGE"}
    environ |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", **env}
    command = [sys.executable, "-c", SHOW]
    done = subprocess.run(command, env=environ, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_asgi_serves_without_persistent_connections():
    assert _conn_max_age() == "0"


def test_an_explicit_setting_wins():
    assert _conn_max_age(DJANGO_CONN_MAX_AGE="30") == "30"
