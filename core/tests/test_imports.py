"""Imports run one way: core ← licensing ← devices ← releases ← (telemetry, webhooks,
documents, feeds, notifications) ← commands ← realtime ← ops.

An app may import from the apps before it, never from one after it or beside it, and never
from another app's `api/` (what API modules share lives in core.api). Nothing is allowed
upward: a lower app that must cause work in a higher one publishes an event
(`core.services.events.publish`, with subscribers registered in `AppConfig.ready()`) or calls a hook
the higher app registered (`telemetry.hooks`, `core.admin_site.dashboard_register`,
`core.api.health.health_section_register`). commands sits above telemetry because it
registers into telemetry's hooks; realtime sits above it: it pushes commands and forced
updates and ingests heartbeats; ops, what an operator watches (probes, metrics), reads
from every app and nothing imports it. config/ is the wiring and may import anything; tests are
exempt. A new upward import fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = {
    "core": 0,
    "licensing": 1,
    "devices": 2,
    "releases": 3,
    "telemetry": 4,
    "webhooks": 4,
    "documents": 4,
    "feeds": 4,
    "notifications": 4,
    "commands": 5,
    "realtime": 6,
    "ops": 7,
}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def _imports(path: Path):
    """(line, module) of every import in the file, at any depth (lazy ones too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _violations(app: str) -> list[str]:
    found = []
    for path in _modules(app):
        for line, module in _imports(path):
            target = module.split(".")[0]
            if target not in ORDER or target == app:
                continue
            if module.startswith(f"{target}.api") and target != "core":
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module} (use core.api)")
                continue
            if ORDER[target] < ORDER[app]:
                continue
            found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_every_project_app_has_a_place_in_the_order():
    from django.conf import settings

    project = {name for name in settings.INSTALLED_APPS if (ROOT / name / "apps.py").exists()}
    assert project == set(ORDER)


@pytest.mark.parametrize("app", sorted(ORDER))
def test_imports_run_one_way(app):
    assert _violations(app) == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "licensing"
    fake.mkdir()
    (fake / "leak.py").write_text(
        "def f():\n    from releases.services.check import update_check\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _violations("licensing") == ["licensing/leak.py:2 imports releases.services.check"]


def test_the_check_catches_an_import_beside(tmp_path, monkeypatch):
    fake = tmp_path / "webhooks"
    fake.mkdir()
    (fake / "leak.py").write_text(
        "from core.services import events\nfrom documents import services\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _violations("webhooks") == ["webhooks/leak.py:2 imports documents"]
