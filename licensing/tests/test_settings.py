"""Production refuses to start without its secrets."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(env_extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SECRET_KEY", "RELAIS_KEY_PEPPER") and not k.startswith("RELAIS_SIGN")
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


SECRETS = {"DJANGO_SECRET_KEY": "x" * 50, "RELAIS_KEY_PEPPER": "p" * 32}
SEED = base64.b64encode(bytes(range(32))).decode()


def test_production_starts_with_its_secrets():
    result = _start({**SECRETS, "RELAIS_SIGNING_KEY": SEED})
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_signing_key():
    result = _start(SECRETS)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "RELAIS_SIGNING_KEY" in result.stderr


@pytest.mark.parametrize(
    "env_extra",
    [
        {"RELAIS_SIGNING_KEY": "bm90IGEga2V5"},  # base64 of 9 bytes
        {"RELAIS_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
        {"RELAIS_SIGNING_KEY_FILE": "/nonexistent/relais-signing.pem"},
        {"RELAIS_SIGNING_KEY": SEED, "RELAIS_SIGNING_PREVIOUS_KEYS": "abc@2026-01-01"},
        {"RELAIS_SIGNING_KEY": SEED, "RELAIS_SIGNING_PREVIOUS_KEYS_FILE": "/nonexistent/keys"},
        {"RELAIS_SIGNING_KEY": SEED, "RELAIS_SIGNING_KEY_NOT_BEFORE": "yesterday"},
    ],
    ids=["short", "bad-pem", "missing-file", "bad-previous-key", "no-previous-file", "bad-date"],
)
def test_production_refuses_an_unusable_signing_key(env_extra):
    result = _start({**SECRETS, **env_extra})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "Signing key" in result.stderr


def test_production_reads_the_signing_key_from_a_pem_file(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core.signatures import private_key_pem

    path = tmp_path / "signing.pem"
    path.write_text(private_key_pem(Ed25519PrivateKey.generate()))
    assert _start({**SECRETS, "RELAIS_SIGNING_KEY_FILE": str(path)}).returncode == 0


def test_production_starts_without_a_key_when_signing_is_off():
    result = _start({**SECRETS, "RELAIS_SIGNING": "false"})
    assert result.returncode == 0, result.stderr


def _example_env() -> dict:
    lines = (ROOT / "docker/.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "RELAIS_KEY_PEPPER", "RELAIS_SIGNING_KEY"])
def test_production_refuses_the_placeholders_of_the_example_env(name):
    placeholder = _example_env()[name]
    assert placeholder.startswith("change-me")
    env = {**SECRETS, "RELAIS_SIGNING_KEY": SEED, name: placeholder}
    result = _start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_check_deploy_is_clean_behind_a_tls_proxy():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "RELAIS_KEY", "RELAIS_SIGN"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "RELAIS_KEY_PEPPER": "p" * 32,
            "RELAIS_SIGNING_KEY": SEED,
            "DJANGO_ALLOWED_HOSTS": "relais.example.com",
            "DJANGO_BEHIND_PROXY": "true",
            "DJANGO_SSL_REDIRECT": "true",
            "DJANGO_HSTS_SECONDS": "31536000",
            "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
            "DJANGO_HSTS_PRELOAD": "true",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_manifest_ttl_shorter_than_twice_the_catalogue_cache_is_refused():
    result = _start({**SECRETS, "RELAIS_SIGNING_KEY": SEED, "RELAIS_MANIFEST_TTL": "599"})
    assert result.returncode != 0 and "RELAIS_MANIFEST_TTL" in result.stderr
