"""Writes go through services (STYLE rule 1): no model is saved, created, updated or
deleted outside a service module. Views, serializers, admins, tasks and selectors call
services; migrations, tests and management commands are exempt.

Service modules are `services.py` or the modules of a `services/` package: no exception."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "core",
    "licensing",
    "devices",
    "releases",
    "telemetry",
    "webhooks",
    "documents",
    "commands",
    "realtime",
]
WRITES = {"save", "delete", "create", "update", "bulk_create", "bulk_update"} | {
    "get_or_create",
    "update_or_create",
}
NOT_THE_ORM = ("cache", "storage", "session", "client", "pipe")


def _is_service(path: Path) -> bool:
    return path.name == "services.py" or "services" in path.parts[:-1]


def _writes_outside_services() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if {"tests", "migrations", "management"} & set(path.parts) or _is_service(path):
                continue
            source = path.read_text()
            for node in ast.walk(ast.parse(source)):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in WRITES:
                    continue
                receiver = ast.get_source_segment(source, node.func.value) or ""
                orm = ".objects" in receiver or "_default_manager" in receiver
                if node.func.attr in ("save", "delete") and not orm:
                    orm = not any(word in receiver for word in NOT_THE_ORM)
                if orm:
                    found.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {receiver}.{node.func.attr}"
                    )
    return found


def test_no_write_outside_services():
    assert _writes_outside_services() == []
