"""Settings wire no code (STYLE: "code wired by dotted paths in settings" is what to leave).

An app that needs work from an app above it gets it through a registration made in that
app's `AppConfig.ready()` (core.services.events.subscribe, core.admin_site.dashboard_register,
core.api.health.health_section_register, telemetry.hooks), which imports and IDEs follow;
a dotted path in settings hides the dependency from both, and one read from the
environment lets an operator swap code.

So no Relais setting (`RELAIS_*`) holds a string starting with a project app's name and a
dot, with these exceptions, and only these:

- model labels (`licensing.Tenant`): Django's own way to name a model lazily
  (AUTH_USER_MODEL works the same way), resolved by the app registry, not imported.

Framework settings whose contract is a dotted path (Django's MIDDLEWARE and the node routes'
NODE_MIDDLEWARE, a middleware list built by Django's handler (core.handlers), INSTALLED_APPS,
ROOT_URLCONF, WSGI_APPLICATION, CACHES' backends, LOGGING's `()` factories; DRF's and drf-spectacular's
classes; django-axes' callables) may name project code: that is how those libraries are configured, and each is
listed here by name, so a new one is a decision. Celery's beat schedule names tasks by their
registered names (`webhooks.tasks.webhook_deliveries_sweep_task`), in config/celery.py, not
in settings; the last test checks each of those names is a task the worker knows.
"""

from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {
    config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT
}
FRAMEWORK_CONTRACTS = {
    "AUTH_USER_MODEL",
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "NODE_MIDDLEWARE",  # MIDDLEWARE's contract, for the node hot routes (core.handlers)
    "ROOT_URLCONF",
    "WSGI_APPLICATION",
    "SETTINGS_MODULE",
    "CACHES",  # the Redis backend (core.cache), set when REDIS_URL is
    "LOGGING",
    "REST_FRAMEWORK",
    "SPECTACULAR_SETTINGS",
    "AXES_CLIENT_IP_CALLABLE",
    "AXES_LOCKOUT_CALLABLE",
}
GONE = {
    "RELAIS_DASHBOARD",
    "RELAIS_HEALTH_EXTRAS",
    "RELAIS_HEARTBEAT_INGEST",
    "RELAIS_HEARTBEAT_PENDING_COMMANDS",
    "RELAIS_FORCED_UPDATE_PUSH_TASK",
    "RELAIS_NODE_AUTHENTICATION",
    "RELAIS_NODE_LEAN",
    "RELAIS_NODE_LEAN_AUTHENTICATION",
}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def _names_project_code(text: str) -> bool:
    return text.split(".", 1)[0] in PROJECT_APPS and "." in text


def _is_model_label(text: str) -> bool:
    app_label, _, name = text.partition(".")
    try:
        apps.get_model(app_label, name)
    except (LookupError, ValueError):
        return False
    return "." not in name


def _wiring(names) -> dict[str, list[str]]:
    found = {}
    for name in names:
        paths = [s for s in _strings(getattr(settings, name)) if _names_project_code(s)]
        paths = [s for s in paths if not _is_model_label(s)]
        if paths:
            found[name] = paths
    return found


def test_the_scan_knows_the_project_apps():
    assert {"core", "licensing", "telemetry", "webhooks", "commands", "realtime"} <= PROJECT_APPS


def test_no_relais_setting_names_project_code():
    relais = [n for n in dir(settings) if n.startswith("RELAIS_")]
    assert _wiring(relais) == {}


def test_only_framework_settings_name_project_code():
    others = [n for n in dir(settings) if n.isupper() and not n.startswith("RELAIS_")]
    assert set(_wiring(others)) <= FRAMEWORK_CONTRACTS


def test_the_scan_catches_a_dotted_path(settings):
    settings.RELAIS_SOMETHING = {"hook": "telemetry.services.ingest.heartbeat_ingest"}
    settings.RELAIS_MODEL = "licensing.Tenant"
    assert _wiring(["RELAIS_SOMETHING", "RELAIS_MODEL"]) == {
        "RELAIS_SOMETHING": ["telemetry.services.ingest.heartbeat_ingest"]
    }


def test_the_settings_that_named_code_are_gone():
    assert {name for name in GONE if hasattr(settings, name)} == set()


def test_the_beat_schedule_names_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled - set(app.tasks) == set()
    assert "webhooks.tasks.webhook_deliveries_sweep_task" in scheduled
