"""Settings shared by every environment, read from the environment with django-environ.

`dev`, `test` and `production` import this module and set only what differs.
The embedded default (no environment at all) is SQLite, files and cache under `var/`
and a Celery broker on the filesystem, so nothing needs a server.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from core.storage import s3_transfer_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("RELAIS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# --- Core ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "licensing.User"

INSTALLED_APPS = [
    # The admin's theme (django-unfold, pinned): its templates come before Django's.
    "unfold.apps.BasicAppConfig",  # templates and static only: our site is core.admin_site
    "core.admin_site.RelaisAdminConfig",  # django.contrib.admin, landing on the dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "axes",
    "core",
    "licensing",
    "devices",
    "releases",
    "telemetry",
    "webhooks",
    "documents",
    "feeds",
    "commands",
    "notifications",
    "realtime",
    "ops",
]

MIDDLEWARE = [
    # First: the request id of every record (X-Request-ID), then the metrics, which count
    # and time every answer, errors included (no query, no I/O).
    "ops.logs.RequestIdMiddleware",
    "ops.middleware.MetricsMiddleware",
    # CORS for browsers on other origins (seed 004), above the JSON errors so that a
    # refusal carries its headers too and the page can read it.
    "corsheaders.middleware.CorsMiddleware",
    "core.middleware.JsonErrorsMiddleware",
    "core.middleware.RequestSizeLimitsMiddleware",
    "core.middleware.QueryControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tenant staff see the backoffice in their tenant's language unless they chose one.
    "core.language.TenantLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: answers a locked-out admin login.
    "axes.middleware.AxesMiddleware",
]

# The node hot routes, served with a shorter middleware list (core.handlers): DRF views
# taking a bearer credential and answering JSON read no session, CSRF token, session user,
# message, static file or admin lockout.
RELAIS_NODE_ROUTES = [
    "/api/v1/updates/check",
    "/api/v1/ping",
    "/api/v1/telemetry",
    "/api/v1/devices/heartbeat",
]
NODE_MIDDLEWARE = [
    "ops.logs.RequestIdMiddleware",
    "ops.middleware.MetricsMiddleware",
    "core.middleware.JsonErrorsMiddleware",
    "core.middleware.RequestSizeLimitsMiddleware",
    "core.middleware.QueryControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # core's templates first: they adjust the admin theme's (django-unfold, an app
        # listed before core) where the backoffice needs it, e.g. messages with their level.
        "DIRS": [BASE_DIR / "templates", BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://relais@db:5432/relais; default SQLite under var/.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'relais.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# Off by default: on, it sends a `SELECT 1` before every request's first query.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=False)
# A psycopg connection pool per process (PostgreSQL only; persistent connections off, as
# pooling requires): bounds a process's connections whatever its threads; off by default
# (each gthread worker's or config.asgi's thread keeps its own persistent connection).
if (
    env.bool("DJANGO_DB_POOL", default=False)
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=10),
        # A request waits this long for a free connection, then gets a JSON 500.
        "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the Celery worker use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }

# The one limit of a request body, uploaded files aside (those are bounded by the proxy's
# RELAIS_PROXY_MAX_BODY): Django's own setting, which Django applies to forms and
# core.api.parsers.bounded_body to every API body; beyond it a 413 `PAYLOAD_TOO_LARGE`.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("RELAIS_MAX_BODY_BYTES", default=1_048_576)

# --- Cache (also throttling and the release catalogue) ----------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        # Django's RedisCache with one connection pool per process (core/cache.py). A Redis
        # that stops answering fails an operation after RELAIS_CACHE_TIMEOUT seconds (the
        # callers carry on without the cache) instead of holding the request forever.
        "default": {
            "BACKEND": "core.cache.ProcessRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("RELAIS_CACHE_TIMEOUT", default=1.0),
                "socket_timeout": env.float("RELAIS_CACHE_TIMEOUT", default=1.0),
            },
        }
    }
else:
    # A file cache, not local memory: web and worker processes must see the same entries.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Storage: S3 when configured, local files under var/ otherwise -----------------------
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
MEDIA_ROOT = str(VAR_DIR / "media")
MEDIA_URL = "/media/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
STATIC_URL = "/static/"
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    # The address devices reach S3 by, when not the server's (download URLs are signed for it).
    AWS_S3_PUBLIC_ENDPOINT_URL = env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_S3_TRANSFER_CONFIG = s3_transfer_config(env.int("AWS_S3_UPLOAD_CONCURRENCY", default=2))
    DEFAULT_FILE_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
else:
    DEFAULT_FILE_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"
STORAGES = {
    "default": {"BACKEND": DEFAULT_FILE_STORAGE_BACKEND},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Behind nginx (docker/): local-storage downloads are answered with `X-Accel-Redirect` to
# this prefix, an `internal` location of the proxy aliased to MEDIA_ROOT; empty (make run,
# tests): Django sends the file itself. S3 downloads are presigned redirects either way.
RELAIS_ACCEL_REDIRECT_PREFIX = env.str("RELAIS_ACCEL_REDIRECT_PREFIX", default="")
# Lifetime of a presigned download URL, in seconds.
RELAIS_DOWNLOAD_URL_TTL = env.int("RELAIS_DOWNLOAD_URL_TTL", default=300)

# --- Celery ------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
else:
    # The filesystem transport needs no server: the embedded default.
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Exchange tables too, or kombu writes them to the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# How long a request may wait to hand a task to the broker (core.tasks.queue_now): a down
# broker delays background work, never an answer.
RELAIS_BROKER_CONNECT_TIMEOUT = env.float("RELAIS_BROKER_CONNECT_TIMEOUT", default=0.5)
# After the broker failed to take a task, a process stops trying for this long.
RELAIS_BROKER_RETRY_AFTER = env.float("RELAIS_BROKER_RETRY_AFTER", default=5.0)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Internationalisation ----------------------------------------------------------------
# RELAIS_DEFAULT_LANGUAGE picks the language when a client sends no Accept-Language.
LANGUAGE_CODE = env.str("RELAIS_DEFAULT_LANGUAGE", default="en")
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Backoffice theme (django-unfold) ------------------------------------------------------
# Titles and switches only: the sidebar is built by core.admin_site from each ModelAdmin's
# `nav_group`, so a new admin needs no line here.
UNFOLD = {
    "SITE_TITLE": "Relais",
    "SITE_HEADER": "Relais",
    "SITE_SYMBOL": "deployed_code",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "SIDEBAR": {"show_search": True, "show_all_applications": False},
}

# --- Auth --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The only login page is the admin's (config/urls.py mounts it at /admin/): a login whose
# `next` Django refuses (another site) lands on its index, a page needing a login sends
# there; Django's defaults (/accounts/profile/, /accounts/login/) do not exist here.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# --- Admin login protection (django-axes) -----------------------------------------------
# Failed admin logins are counted per lockout group (default: username from an address,
# and the address whatever the username); RELAIS_LOGIN_FAILURE_LIMIT failures in a group
# lock it for RELAIS_LOGIN_COOLOFF_MINUTES. Groups are `+`-joined parameters of axes
# (`ip_address`, `username`, `user_agent`). The API's tokens and sessions are not logins:
# they never pass through here.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("RELAIS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("RELAIS_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [
    group.split("+") if "+" in group else group
    for group in env.list("RELAIS_LOGIN_LOCKOUT", default=["username+ip_address", "ip_address"])
]
AXES_RESET_ON_SUCCESS = True
# The client's address as the API throttles see it (RELAIS_TRUSTED_PROXIES below).
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "core.login_protection.lockout_response"
# Axes' records name every tenant's users: core/admin.py shows them to platform staff only.
AXES_ENABLE_ADMIN = False

# --- REST framework and OpenAPI ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "licensing.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    # JSON in and out: an API error is never an HTML page, whatever the Accept header.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.parsers.JsonOnlyNegotiation",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.SafeJSONParser",
        "core.api.parsers.SafeFormParser",
        "core.api.parsers.SafeMultiPartParser",
    ],
    # DRF's own reading of addresses never looks at X-Forwarded-For: every throttle asks
    # core.client_ip instead (RELAIS_TRUSTED_PROXIES).
    "NUM_PROXIES": 0,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relais API",
    "DESCRIPTION": "Licensing, releases and fleet management for installed software.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LicenseStatusEnum": "licensing.models.License.Status",
        "DeviceStatusEnum": "devices.models.Device.Status",
        "ReleaseStatusEnum": "releases.models.Release.Status",
        "UpdateSessionStatusEnum": "releases.models.UpdateSession.Status",
        "TelemetryKindEnum": "telemetry.models.TelemetryReport.Kind",
    },
}
# The largest page a management list returns, whatever `?limit=` asks for.
RELAIS_API_MAX_PAGE_SIZE = env.int("RELAIS_API_MAX_PAGE_SIZE", default=500)
# Requests beyond these get a JSON 414 / 431; keep them below gunicorn's own limits
# (docker/gunicorn.conf.py), past which gunicorn answers with its plain page.
RELAIS_MAX_REQUEST_LINE = env.int("RELAIS_MAX_REQUEST_LINE", default=4096)
RELAIS_MAX_HEADER_FIELD_SIZE = env.int("RELAIS_MAX_HEADER_FIELD_SIZE", default=8192)
RELAIS_MAX_HEADER_FIELDS = env.int("RELAIS_MAX_HEADER_FIELDS", default=100)
# The model tenancy scopes by (core.tenancy imports no domain app).
RELAIS_TENANT_MODEL = "licensing.Tenant"
# Node credentials kept per process (core.credentials): at most this many, each at most
# this long; any change to a device, license or tenant drops them all at the next request.
RELAIS_CREDENTIALS_KEPT_MAX = env.int("RELAIS_CREDENTIALS_KEPT_MAX", default=100_000)
RELAIS_CREDENTIALS_KEPT_SECONDS = env.float("RELAIS_CREDENTIALS_KEPT_SECONDS", default=300.0)
# How long the readiness probe (/api/v1/health/ready) waits for the database, the cache and
# the storage, seconds (they are checked at once).
RELAIS_READY_TIMEOUT = env.float("RELAIS_READY_TIMEOUT", default=2.0)
# The bearer token a Prometheus scraper sends to /metrics; empty: /metrics is a 404.
RELAIS_METRICS_TOKEN = env.str("RELAIS_METRICS_TOKEN", default="")
# prometheus-client's multiprocess mode (gunicorn workers): a directory, emptied at start,
# where each process keeps its counters; read by prometheus-client itself at import, here
# so that a scrape sums every process's files (docs/operations.md).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# A Celery worker serves its task counters on this port (Prometheus text format, no token:
# keep it inside the network, as the broker is); 0: not served.
RELAIS_WORKER_METRICS_PORT = env.int("RELAIS_WORKER_METRICS_PORT", default=0)
RELAIS_WORKER_METRICS_ADDRESS = env.str("RELAIS_WORKER_METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104
# Throttle rates per scope, read at request time so they can be tuned per deployment.
RELAIS_THROTTLE_RATES = {
    "license_validate": env.str("RELAIS_THROTTLE_VALIDATE", default="120/min"),
    "node": env.str("RELAIS_THROTTLE_NODE", default="600/min"),
    # Site registration and resync take a staff password: per address and per account.
    "site_auth": env.str("RELAIS_THROTTLE_SITE_AUTH", default="10/min"),
    "site_auth_account": env.str("RELAIS_THROTTLE_SITE_ACCOUNT", default="5/min"),
}
# Failed authentications (unknown license key, device or API token) per client address,
# checked before the credential is looked up: past it, 429 for a credential that has not
# authenticated lately (a known one is still looked up: one device's guesses do not lock
# out the others behind the same address).
RELAIS_THROTTLE_AUTH_FAILURES = env.str("RELAIS_THROTTLE_AUTH_FAILURES", default="30/min")
# How long a credential that authenticated stays known (seconds; refreshed while in use).
RELAIS_KNOWN_CREDENTIAL_TTL = env.int("RELAIS_KNOWN_CREDENTIAL_TTL", default=7 * 24 * 3600)

# --- Client addresses ---------------------------------------------------------------------
# The proxies in front, as IP addresses and/or CIDR networks, comma-separated: the client is
# REMOTE_ADDR unless it is one of them, then the first X-Forwarded-For entry from the right
# that is not (core/client_ip.py). Empty: no proxy, X-Forwarded-For is never read. The
# servers' forwarded_allow_ips must name the same proxies.
if env.str("RELAIS_NUM_PROXIES", default=None) is not None:
    raise ImproperlyConfigured(
        "RELAIS_NUM_PROXIES is no longer read: list the addresses or networks of the proxies "
        "in front in RELAIS_TRUSTED_PROXIES (e.g. 10.0.0.0/8,192.0.2.7), or leave it empty "
        "when clients connect directly."
    )
try:
    RELAIS_TRUSTED_PROXIES = tuple(
        ipaddress.ip_network(proxy.strip())
        for proxy in env.list("RELAIS_TRUSTED_PROXIES", default=[])
        if proxy.strip()
    )
except ValueError as exc:
    raise ImproperlyConfigured(
        f"RELAIS_TRUSTED_PROXIES: {exc} (IP addresses or networks, comma-separated)."
    ) from exc

# --- Relais ------------------------------------------------------------------------------
# Pepper for HMAC-SHA256 of license keys, device tokens and API tokens. Changing it
# invalidates every stored key: keep it as safe as SECRET_KEY.
RELAIS_KEY_PEPPER = env.str("RELAIS_KEY_PEPPER", default="")
# Dialects of the seeds' clients, each can be turned off.
RELAIS_DIALECT_CYBERSENSEI = env.bool("RELAIS_DIALECT_CYBERSENSEI", default=True)
RELAIS_DIALECT_DATASHARE = env.bool("RELAIS_DIALECT_DATASHARE", default=True)
# The product (slug) the CyberSensei routes serve to a tenant licensed for several: its
# client cannot name one.
RELAIS_CYBERSENSEI_PRODUCT = env.str("RELAIS_CYBERSENSEI_PRODUCT", default="")
# Lifetime of a CyberSensei `updateId` (a download capability), seconds.
RELAIS_CYBERSENSEI_UPDATE_ID_TTL = env.int("RELAIS_CYBERSENSEI_UPDATE_ID_TTL", default=3600)
# Platforms an artifact or device may name, besides "any".
RELAIS_PLATFORMS = env.list(
    "RELAIS_PLATFORMS",
    default=[
        "windows-x86_64",
        "windows-x86",
        "windows-aarch64",
        "linux-x86_64",
        "linux-aarch64",
        "linux-armv7l",
        "macos-x86_64",
        "macos-aarch64",
    ],
)
RELAIS_CATALOGUE_CACHE_SECONDS = env.int("RELAIS_CATALOGUE_CACHE_SECONDS", default=300)
# How often a worker asks the shared cache whether the catalogue changed (a release
# published in another process is offered by this one within this time).
RELAIS_CATALOGUE_POLL_SECONDS = env.float("RELAIS_CATALOGUE_POLL_SECONDS", default=1.0)
# How often contacts noted in the cache by node routes reach Device.last_seen_at (beat
# interval of the flush; on a cache other than Redis, also how long a device's contact is
# noted only once).
RELAIS_SEEN_INTERVAL_SECONDS = env.int("RELAIS_SEEN_INTERVAL_SECONDS", default=60)
# Synced documents (seed 004): the largest document, in bytes of JSON, and the seed's own
# routes (/api/settings, /api/team, /api/services, /api/solutions).
RELAIS_DOCUMENT_MAX_BYTES = env.int("RELAIS_DOCUMENT_MAX_BYTES", default=256 * 1024)
RELAIS_DIALECT_SYNC = env.bool("RELAIS_DIALECT_SYNC", default=True)

# --- Browser clients (seed 004's frontends on other origins) ------------------------------
# django-cors-headers on /api/ only: the origins of this environment's frontends (the
# seed's VITE_FRONTEND_URL and backoffice), beside those each tenant declares (documents'
# BrowserOrigin, read through a signal). Bearer credentials only: no cookie crosses origins.
RELAIS_CORS_ALLOWED_ORIGINS = env.list("RELAIS_CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = RELAIS_CORS_ALLOWED_ORIGINS
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = ["ETag", "X-Request-ID"]
CORS_PREFLIGHT_MAX_AGE = 3600
# How often a web process pushes the contacts it buffered to the cache (one operation);
# 0 pushes each at once.
RELAIS_CONTACTS_PUSH_SECONDS = env.float("RELAIS_CONTACTS_PUSH_SECONDS", default=1.0)
# Rollouts: the beat's tick (config/celery.py reads it too) and how long a stage's
# "holdMinutes" minute lasts (60 s; the end-to-end tests shorten it).
RELAIS_ROLLOUT_TICK_SECONDS = env.float("RELAIS_ROLLOUT_TICK_SECONDS", default=60.0)
RELAIS_ROLLOUT_HOLD_UNIT_SECONDS = env.float("RELAIS_ROLLOUT_HOLD_UNIT_SECONDS", default=60.0)
# Binary deltas (releases.deltas): made on publish from the last K published versions per
# platform, for artifacts up to a size (both files are held in memory while it is made).
RELAIS_DELTA_SOURCES = env.int("RELAIS_DELTA_SOURCES", default=3)
RELAIS_DELTA_MAX_BYTES = env.int("RELAIS_DELTA_MAX_BYTES", default=256 * 1024 * 1024)
RELAIS_DELTA_SWEEP_DAYS = env.int("RELAIS_DELTA_SWEEP_DAYS", default=7)
RELAIS_DELTA_SWEEP_BATCH = env.int("RELAIS_DELTA_SWEEP_BATCH", default=20)

# --- Signing (Ed25519): update manifests and offline license files ----------------------
RELAIS_SIGNING = env.bool("RELAIS_SIGNING", default=True)
# The private key: PEM (PKCS#8) or base64 of the raw 32 bytes, in the environment or a file.
RELAIS_SIGNING_KEY = env.str("RELAIS_SIGNING_KEY", default="")
RELAIS_SIGNING_KEY_FILE = env.str("RELAIS_SIGNING_KEY_FILE", default="")
# Only the embedded default (dev, test) writes a new key to RELAIS_SIGNING_KEY_FILE.
RELAIS_SIGNING_KEY_GENERATE = False
# Published as the current key's notBefore (ISO 8601), e.g. the day it was introduced.
RELAIS_SIGNING_KEY_NOT_BEFORE = env.str("RELAIS_SIGNING_KEY_NOT_BEFORE", default="")
# Earlier public keys still published during a rotation's overlap: `<x>@<notAfter>` each
# (comma-separated here, one per line in the file).
RELAIS_SIGNING_PREVIOUS_KEYS = env.list("RELAIS_SIGNING_PREVIOUS_KEYS", default=[])
RELAIS_SIGNING_PREVIOUS_KEYS_FILE = env.str("RELAIS_SIGNING_PREVIOUS_KEYS_FILE", default="")
# Lifetime of a signed update manifest, seconds (freeze protection: a client refuses an
# older one). A catalogue is served at most RELAIS_CATALOGUE_CACHE_SECONDS after it was
# built and signed, so a manifest always reaches a client with most of its life left.
RELAIS_MANIFEST_TTL = env.int("RELAIS_MANIFEST_TTL", default=24 * 3600)
if RELAIS_MANIFEST_TTL < 2 * RELAIS_CATALOGUE_CACHE_SECONDS:
    raise ImproperlyConfigured(
        "RELAIS_MANIFEST_TTL must be at least twice RELAIS_CATALOGUE_CACHE_SECONDS."
    )

# Webhooks: a target must resolve to public addresses, or to addresses of the networks
# declared here (comma-separated CIDRs, e.g. "10.0.0.0/8,192.168.1.0/24": on-premise
# receivers on the LAN). Link-local addresses pass only through a declared network inside
# link-local space, a cloud metadata address only through a network that is that very
# address (/32, /128): webhooks/transport.py says which and why.
RELAIS_WEBHOOK_ALLOWED_NETWORKS = [
    network.strip()
    for network in env.list("RELAIS_WEBHOOK_ALLOWED_NETWORKS", default=[])
    if network.strip()
]
for _network in RELAIS_WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError as exc:
        raise ImproperlyConfigured(f"RELAIS_WEBHOOK_ALLOWED_NETWORKS: {exc}") from exc
if "RELAIS_WEBHOOK_ALLOW_PRIVATE" in os.environ:
    # It allowed every non-public address, cloud metadata services included: an operator
    # who set it must now say which networks they meant.
    raise ImproperlyConfigured(
        "RELAIS_WEBHOOK_ALLOW_PRIVATE is no longer read: declare the networks webhooks may "
        "reach in RELAIS_WEBHOOK_ALLOWED_NETWORKS (e.g. 10.0.0.0/8,192.168.1.0/24) and "
        "remove it."
    )
RELAIS_WEBHOOK_CONNECT_TIMEOUT = env.float("RELAIS_WEBHOOK_CONNECT_TIMEOUT", default=5.0)
RELAIS_WEBHOOK_READ_TIMEOUT = env.float("RELAIS_WEBHOOK_READ_TIMEOUT", default=10.0)
RELAIS_WEBHOOK_MAX_RESPONSE_BYTES = env.int("RELAIS_WEBHOOK_MAX_RESPONSE_BYTES", default=4096)
# After a secret rotation, deliveries carry a second signature made with the old secret.
RELAIS_WEBHOOK_SECRET_OVERLAP_SECONDS = env.int(
    "RELAIS_WEBHOOK_SECRET_OVERLAP_SECONDS", default=24 * 3600
)

# --- Telemetry and alerts ----------------------------------------------------------------
# Reports older than this are deleted (in bounded batches, by beat); hourly rollups live longer.
RELAIS_TELEMETRY_RETENTION_DAYS = env.int("RELAIS_TELEMETRY_RETENTION_DAYS", default=30)
RELAIS_TELEMETRY_ROLLUP_RETENTION_DAYS = env.int(
    "RELAIS_TELEMETRY_ROLLUP_RETENTION_DAYS", default=400
)
# How far ahead of the server's clock a device's time may be.
RELAIS_TELEMETRY_MAX_CLOCK_SKEW_SECONDS = env.int(
    "RELAIS_TELEMETRY_MAX_CLOCK_SKEW_SECONDS", default=300
)
# The heartbeat interval the server asks for (in heartbeat responses).
RELAIS_HEARTBEAT_INTERVAL_SECONDS = env.int("RELAIS_HEARTBEAT_INTERVAL_SECONDS", default=30)
# A device silent longer than this gets an `offline` alert.
RELAIS_OFFLINE_AFTER_SECONDS = env.int("RELAIS_OFFLINE_AFTER_SECONDS", default=300)
# Days before a license's expiry when `license.expiring` is published.
RELAIS_LICENSE_EXPIRY_WARNING_DAYS = env.list(
    "RELAIS_LICENSE_EXPIRY_WARNING_DAYS", cast=int, default=[30, 7, 1]
)
# How long a worker keeps the alert rules in memory before reading them again.
RELAIS_ALERT_RULES_MEMO_SECONDS = env.int("RELAIS_ALERT_RULES_MEMO_SECONDS", default=30)
# PostgreSQL: telemetry inserts commit without waiting for the WAL flush (synchronous_commit
# off for them alone): six times cheaper; a database crash may lose the last ~0.6 s of reports.
RELAIS_TELEMETRY_ASYNC_COMMIT = env.bool("RELAIS_TELEMETRY_ASYNC_COMMIT", default=True)
# Rows deleted per statement by the retention task.
RELAIS_TELEMETRY_PRUNE_BATCH = env.int("RELAIS_TELEMETRY_PRUNE_BATCH", default=10_000)
# PostgreSQL: days of telemetry partitions made ahead of today (by the prune task).
RELAIS_TELEMETRY_PARTITIONS_AHEAD = env.int("RELAIS_TELEMETRY_PARTITIONS_AHEAD", default=7)

# Synced documents: a revision goes when it is older than this many days and not among
# its document's newest RELAIS_DOCUMENT_REVISIONS_KEPT (hourly, by beat); 0 days keeps all.
RELAIS_DOCUMENT_REVISION_RETENTION_DAYS = env.int(
    "RELAIS_DOCUMENT_REVISION_RETENTION_DAYS", default=90
)
RELAIS_DOCUMENT_REVISIONS_KEPT = env.int("RELAIS_DOCUMENT_REVISIONS_KEPT", default=100)

# --- NEOPRO sites, remote commands, Socket.IO -----------------------------------------------
# The product a site registers under when its request names none.
RELAIS_NEOPRO_PRODUCT = env.str("RELAIS_NEOPRO_PRODUCT", default="neopro")
# A command not delivered and answered within this many seconds expires (beat sweep).
RELAIS_COMMAND_TTL_SECONDS = env.int("RELAIS_COMMAND_TTL_SECONDS", default=7 * 24 * 3600)
RELAIS_COMMAND_SWEEP_SECONDS = env.float("RELAIS_COMMAND_SWEEP_SECONDS", default=300.0)
# Largest JSON `data` of a command and `result` of an answer, in bytes (encoded).
RELAIS_COMMAND_MAX_DATA_BYTES = env.int("RELAIS_COMMAND_MAX_DATA_BYTES", default=64 * 1024)
RELAIS_COMMAND_MAX_RESULT_BYTES = env.int("RELAIS_COMMAND_MAX_RESULT_BYTES", default=256 * 1024)
# Base URL nodes reach this server by (absolute download URLs when storage cannot presign).
RELAIS_PUBLIC_URL = env.str("RELAIS_PUBLIC_URL", default="http://127.0.0.1:8000")
# Socket.IO: a socket that has not authenticated (NEOPRO) or registered a device (ITStock)
# after this many seconds is dropped; events per connection and minute; the largest message.
RELAIS_SOCKETIO_AUTH_TIMEOUT = env.float("RELAIS_SOCKETIO_AUTH_TIMEOUT", default=10.0)
RELAIS_SOCKETIO_EVENTS_PER_MINUTE = env.int("RELAIS_SOCKETIO_EVENTS_PER_MINUTE", default=120)
RELAIS_SOCKETIO_MAX_MESSAGE_BYTES = env.int("RELAIS_SOCKETIO_MAX_MESSAGE_BYTES", default=1_000_000)
# Browser origins allowed to open a socket (agents send no Origin); empty: same origin only.
RELAIS_SOCKETIO_CORS_ORIGINS = env.list("RELAIS_SOCKETIO_CORS_ORIGINS", default=[])

# --- Notifications (email to people) ------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587 (or smtp+tls://, smtp+ssl://); unset, emails are
# written to the console (the embedded default: nothing needs a mail server).
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://") or "consolemail://"  # empty: unset
vars().update(environ.Env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="relais@localhost")
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
# A recipient gets at most one digest per this many seconds (beat looks every
# RELAIS_NOTIFY_SWEEP_SECONDS, config/celery.py).
RELAIS_NOTIFY_DIGEST_SECONDS = env.int("RELAIS_NOTIFY_DIGEST_SECONDS", default=900)
# Failed updates are told about when at least this many fail within the window.
RELAIS_NOTIFY_UPDATE_FAILURE_BURST = env.int("RELAIS_NOTIFY_UPDATE_FAILURE_BURST", default=5)
RELAIS_NOTIFY_UPDATE_FAILURE_WINDOW_SECONDS = env.int(
    "RELAIS_NOTIFY_UPDATE_FAILURE_WINDOW_SECONDS", default=3600
)
# Notifications are kept this many days (told or not), then deleted by the digest task.
RELAIS_NOTIFY_RETENTION_DAYS = env.int("RELAIS_NOTIFY_RETENTION_DAYS", default=30)

# --- Logs ----------------------------------------------------------------------------------
# `json` (one object per line, python-json-logger: production's default) or `text`.
RELAIS_LOG_FORMAT = env.str("RELAIS_LOG_FORMAT", default="text")
LOG_FORMATS = ("json", "text")
if RELAIS_LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"RELAIS_LOG_FORMAT: {RELAIS_LOG_FORMAT!r} is not json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Capabilities in URLs (CyberSensei update ids) are masked in every record; every record
    # carries the request id of its request or task (ops.logs), `-` outside both.
    "filters": {
        "mask_capabilities": {"()": "core.logmask.MaskCapabilitiesFilter"},
        "no_query": {"()": "core.logs.AccessLogWithoutQuery"},
        "request_id": {"()": "ops.logs.RequestIdFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "core.logmask.MaskingJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_capabilities", "request_id"],
            "formatter": RELAIS_LOG_FORMAT,
        }
    },
    # uvicorn's access log (ASGI workers) without query strings: CyberSensei keys travel as
    # `?key=`; its update ids are masked by the handler like every record.
    "loggers": {
        "uvicorn.access": {"handlers": ["console"], "filters": ["no_query"], "propagate": False}
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- Sentry (optional) ---------------------------------------------------------------------
# Errors of web, realtime, workers and beat to Sentry when a DSN is set; off (sentry-sdk not
# even imported) without one. Credentials are scrubbed before sending (config/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
