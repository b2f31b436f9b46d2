"""Production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(env_extra):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "RELAIS_KEY_PEPPER")
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_extra})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env_extra",
    [{}, {"DJANGO_SECRET_KEY": "x" * 50}, {"RELAIS_KEY_PEPPER": "p" * 32}],
    ids=["nothing", "no-pepper", "no-secret-key"],
)
def test_production_refuses_to_start_without_secrets(env_extra):
    result = _start(env_extra)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_a_short_pepper():
    result = _start({"DJANGO_SECRET_KEY": "x" * 50, "RELAIS_KEY_PEPPER": "short"})
    assert result.returncode != 0 and "at least 16" in result.stderr


def test_production_starts_with_its_secrets():
    result = _start({"DJANGO_SECRET_KEY": "x" * 50, "RELAIS_KEY_PEPPER": "p" * 32})
    assert result.returncode == 0, result.stderr
