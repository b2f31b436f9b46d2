"""The image's build steps and production checks, run as CI runs them on every change:
static files collected under production settings, the proxy's configuration accepted by
nginx itself, and `check --deploy` clean with the documented production environment."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import nginx_conf

ROOT = Path(__file__).resolve().parents[2]


def test_static_files_build_as_the_image_builds_them(production_static):
    manifest = json.loads((production_static / "staticfiles.json").read_text())
    hashed = manifest["paths"]["vendor/chartjs/chart.umd.min.js"]
    assert (production_static / hashed).is_file()
    assert (production_static / manifest["paths"]["admin/css/base.css"]).is_file()


def test_the_dockerfile_builds_static_files_with_that_script():
    dockerfile = (ROOT / "docker/Dockerfile").read_text()
    assert "RUN docker/build-static.sh" in dockerfile


def test_the_proxy_configuration_is_valid_for_nginx(tmp_path):
    """docker/nginx's template with the values docker/compose.yml gives it, checked by
    `nginx -t` (the compose service names stand for loopback: nginx resolves them)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is absent: apt-get install nginx-light (CI installs it)")
    compose = yaml.safe_load((ROOT / "docker/compose.yml").read_text())
    values = {
        name: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
        for name, value in compose["services"]["proxy"]["environment"].items()
    }
    for name in ("RELAIS_WEB_UPSTREAM", "RELAIS_REALTIME_UPSTREAM"):
        values[name] = re.sub(r"^[a-z]+:", "127.0.0.1:", values[name])
    conf = nginx_conf(tmp_path, values)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _documented_production_environment() -> dict:
    """docker/.env.example with its change-me secrets generated and its HTTPS settings on,
    as its comments tell an operator behind HTTPS to set them."""
    env = {}
    for line in (ROOT / "docker/.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = secrets.token_urlsafe(48) if value.startswith("change-me") else value
    env["RELAIS_SIGNING_KEY"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    env.update(
        DJANGO_SECURE_COOKIES="true",
        DJANGO_BEHIND_PROXY="true",
        DJANGO_SSL_REDIRECT="true",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_HSTS_PRELOAD="true",
    )
    return env


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        **_documented_production_environment(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": "sqlite://:memory:",
        "RELAIS_VAR_DIR": str(tmp_path),
    }
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
