"""Tests: the same settings as production, with fixed test secrets and fast hashing."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
RELAIS_KEY_PEPPER = "test-pepper"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = str(VAR_DIR / "test-media")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Contacts go to the cache at once: no pusher thread racing the tests' cache.clear().
RELAIS_CONTACTS_PUSH_SECONDS = 0

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the end-to-end tests' Celery worker reads the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405

# A signing key of this installation, made on first use (production takes one from the
# environment and refuses to start without it).
RELAIS_SIGNING_KEY_FILE = env.str(
    "RELAIS_SIGNING_KEY_FILE", default=str(VAR_DIR / "signing-key.pem")
)
RELAIS_SIGNING_KEY_GENERATE = True

# SQLite, the file cache and the filesystem broker live here: a fresh clone has no var/.
VAR_DIR.mkdir(parents=True, exist_ok=True)
