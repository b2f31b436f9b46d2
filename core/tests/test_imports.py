"""Imports run one way: core ← licensing ← devices ← releases ← (telemetry, sync).

An app may import from the apps before it, never from one after it or beside it, and never
from another app's `api/` (what API modules share lives in core.api); the one exception is
`sync.events` (every app records its events). config/ is the wiring and may
import anything; tests are exempt. A new upward import fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = {"core": 0, "licensing": 1, "devices": 2, "releases": 3, "telemetry": 4, "sync": 4}
ALLOWED_UPWARD = {"sync.events", "sync"}  # `from sync import events` / `import sync.events`


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def _imports(path: Path):
    """(line, module, names) of every import in the file, at any depth (lazy ones too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _violations(app: str) -> list[str]:
    found = []
    for path in _modules(app):
        for line, module, names in _imports(path):
            target = module.split(".")[0]
            if target not in ORDER or target == app:
                continue
            if module.startswith(f"{target}.api") and target != "core":
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module} (use core.api)")
                continue
            if ORDER[target] < ORDER[app]:
                continue
            if module in ALLOWED_UPWARD and (module != "sync" or names == ["events"]):
                continue
            found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


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
