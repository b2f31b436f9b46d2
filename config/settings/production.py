"""Production: every secret comes from the environment; a missing one stops the start."""

from django.core.exceptions import ImproperlyConfigured

from core.signatures import SigningKeyError, keyring_from

from .base import *  # noqa: F403
from .base import env

DEBUG = False


def _secret(name: str) -> str:
    """A secret from the environment: missing, empty or still docker/.env.example's
    placeholder (`change-me…`), production does not start."""
    value = env.str(name)
    if not value.strip() or value.strip().lower().startswith("change-me"):
        raise ImproperlyConfigured(
            f"{name} is empty or a placeholder (change-me…): set a generated secret."
        )
    return value


# Logs for a log pipeline: one JSON object per line unless RELAIS_LOG_FORMAT=text.
RELAIS_LOG_FORMAT = env.str("RELAIS_LOG_FORMAT", default="json")
if RELAIS_LOG_FORMAT not in LOG_FORMATS:  # noqa: F405
    raise ImproperlyConfigured(f"RELAIS_LOG_FORMAT: {RELAIS_LOG_FORMAT!r} is not json or text.")
LOGGING["handlers"]["console"]["formatter"] = RELAIS_LOG_FORMAT  # noqa: F405

SECRET_KEY = _secret("DJANGO_SECRET_KEY")
RELAIS_KEY_PEPPER = _secret("RELAIS_KEY_PEPPER")
if len(RELAIS_KEY_PEPPER) < 16:
    raise ImproperlyConfigured("RELAIS_KEY_PEPPER must be at least 16 characters long.")

# Signing is on unless turned off explicitly; then a readable Ed25519 key is required.
if RELAIS_SIGNING:  # noqa: F405
    if RELAIS_SIGNING_KEY.strip().lower().startswith("change-me"):  # noqa: F405
        raise ImproperlyConfigured(
            "RELAIS_SIGNING_KEY is a placeholder (change-me…): set a generated key."
        )
    try:
        keyring_from(
            key=RELAIS_SIGNING_KEY,  # noqa: F405
            key_file=RELAIS_SIGNING_KEY_FILE,  # noqa: F405
            not_before=RELAIS_SIGNING_KEY_NOT_BEFORE,  # noqa: F405
            previous=RELAIS_SIGNING_PREVIOUS_KEYS,  # noqa: F405
            previous_file=RELAIS_SIGNING_PREVIOUS_KEYS_FILE,  # noqa: F405
        )
    except SigningKeyError as exc:
        raise ImproperlyConfigured(f"Signing key: {exc} (or set RELAIS_SIGNING=false).") from exc

# Trust X-Forwarded-Proto only when a proxy that sets it stands in front of gunicorn.
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
# Only once every subdomain is served over HTTPS, and preload only once it is to be
# submitted to the browsers' list: both are hard to take back.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# The containers' health checks call http://127.0.0.1:8000/api/v1/health/ready (and
# /live on 8001) from inside.
# Prometheus scrapes /metrics over the internal network, in plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health(/live|/ready)?$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
)
