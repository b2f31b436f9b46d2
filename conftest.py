"""Fixtures shared by every app's tests."""

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from licensing.tests.factories import LicenseFactory, TenantFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    from releases.tests.factories import forget_caches

    forget_caches()
    yield
    forget_caches()


@pytest.fixture(autouse=True)
def _webhook_targets_on_loopback(settings):
    """Tests' webhook receivers listen on loopback (tests of the guard declare no network)."""
    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def tenant(db):
    return TenantFactory()


@pytest.fixture
def license(db, tenant):
    return LicenseFactory(tenant=tenant)


@pytest.fixture
def platform_admin(db):
    return UserFactory(is_superuser=True, username="root")


@pytest.fixture
def platform_client(platform_admin):
    client = APIClient()
    client.force_authenticate(platform_admin)
    return client


# --- Storage ---------------------------------------------------------------------------
# The suite runs on whatever storage the environment configures (local files by default,
# S3 in CI's second run). Tests that need one kind ask for `local_storage` or `s3_storage`;
# the latter talks HTTP to a real S3 API: the configured one, or a moto_server started here.


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ensure_bucket(endpoint, bucket, key, secret, region="us-east-1"):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=region,
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)


@pytest.fixture(scope="session", autouse=True)
def _configured_bucket():
    """CI's S3 run: the bucket named in the environment exists before any test."""
    from django.conf import settings

    if settings.AWS_STORAGE_BUCKET_NAME:
        _ensure_bucket(
            settings.AWS_S3_ENDPOINT_URL,
            settings.AWS_STORAGE_BUCKET_NAME,
            settings.AWS_ACCESS_KEY_ID,
            settings.AWS_SECRET_ACCESS_KEY,
            settings.AWS_S3_REGION_NAME,
        )


@pytest.fixture(scope="session")
def s3_server():
    """(endpoint, bucket, key, secret) of a real S3 API over HTTP."""
    import os
    import shutil
    import subprocess
    import time
    import urllib.request
    from pathlib import Path

    from django.conf import settings

    if settings.AWS_STORAGE_BUCKET_NAME and settings.AWS_S3_ENDPOINT_URL:
        yield (
            settings.AWS_S3_ENDPOINT_URL,
            settings.AWS_STORAGE_BUCKET_NAME,
            settings.AWS_ACCESS_KEY_ID,
            settings.AWS_SECRET_ACCESS_KEY,
        )
        return
    binary = shutil.which("moto_server") or str(Path(os.sys.executable).parent / "moto_server")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        _ensure_bucket(endpoint, "relais-test", "testing", "testing")
        yield endpoint, "relais-test", "testing", "testing"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_storage(s3_server, settings):
    from core.storage import s3_transfer_config

    endpoint, bucket, key, secret = s3_server
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "access_key": key,
                "secret_key": secret,
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "file_overwrite": False,
                "default_acl": None,
                "transfer_config": s3_transfer_config(),
            },
        },
    }
    return s3_server


@pytest.fixture
def local_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


# --- A real Celery worker with embedded beat (end-to-end tests) -------------------------


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_broker_url() -> str:
    """The Redis broker of start_worker's worker: a database of its own, beside the cache's
    (tests flush that one): 15 -> 14 in CI; suites running side by side on other databases
    get other brokers."""
    from django.conf import settings

    base, _, number = settings.REDIS_URL.rpartition("/")
    number = int(number) if number.isdigit() else 0
    return f"{base}/{number ^ 1}"


@pytest.fixture
def worker_broker(tmp_path):
    """This process sends to the broker start_worker's worker reads, for real (not eagerly):
    Redis's database beside the cache's, or the filesystem broker under the test's folder."""
    from django.conf import settings

    from config.celery import app

    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    if settings.REDIS_URL:
        changes = {"broker_url": _worker_broker_url()}
    else:
        folder = tmp_path / "celery"
        changes = {
            "broker_url": "filesystem://",
            "broker_transport_options": {
                "data_folder_in": str(folder / "queue"),
                "data_folder_out": str(folder / "queue"),
                "processed_folder": str(folder / "processed"),
                "control_folder": str(folder / "control"),
            },
        }
    app.conf.update(task_always_eager=False, **changes)
    app._pool = None  # the producer pool was made for the old broker
    yield
    app.conf.update(saved)
    app._pool = None


@pytest.fixture
def start_worker(tmp_path):
    """`start_worker(**env)` runs `celery worker --beat` on the test database, as
    scripts/run-embedded and the docker stack do; returns (process, log path). Needs
    `django_db(transaction=True)`: the worker reads committed rows."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    started = []

    def start(**extra):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "RELAIS_VAR_DIR": str(tmp_path),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **extra,
        }
        if settings.REDIS_URL:
            env["CELERY_BROKER_URL"] = _worker_broker_url()
            env["CELERY_RESULT_BACKEND"] = env["CELERY_BROKER_URL"]
        for folder in ("queue", "processed", "control"):
            (tmp_path / "celery" / folder).mkdir(parents=True, exist_ok=True)
        log_path = tmp_path / "worker.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"),
                *("--loglevel=INFO", "--concurrency=1", "--pool=solo"),
                f"--schedule={tmp_path / 'beat-schedule'}",
            ],
            cwd=Path(__file__).resolve().parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process, log_path

    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- The ASGI server (Django + Socket.IO) under uvicorn, for tests over the network ------


@pytest.fixture
def asgi_server(tmp_path):
    """`asgi_server(**env)` runs uvicorn with config.asgi on 127.0.0.1 and a free port, on
    the test database (needs `django_db(transaction=True)`: it reads committed rows);
    returns its base URL. With REDIS_URL it uses Redis as the Socket.IO manager too."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    started = []

    def start(**extra):
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "RELAIS_VAR_DIR": str(tmp_path / f"server-{len(started)}"),
            "RELAIS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "RELAIS_THROTTLE_SITE_AUTH": "1000/min",
            "RELAIS_THROTTLE_SITE_ACCOUNT": "1000/min",
            **extra,
        }
        log_path = tmp_path / f"uvicorn-{port}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "config.asgi:application"),
                *("--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"),
                # As scripts/run-embedded: JSON refusals, X-Forwarded-For from declared proxies.
                *("--http", "config.serving:HttpToolsProtocol"),
                *("--forwarded-allow-ips", env.get("RELAIS_TRUSTED_PROXIES", "")),
                "--no-access-log",
            ],
            cwd=Path(__file__).resolve().parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/api/v1/health", timeout=2)  # noqa: S310 - loopback
                return url
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP error status: the server answers
                    return url
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"uvicorn did not start:\n{log_path.read_text()}")

    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- The production stack as docker/ runs it: nginx -> gunicorn (web) and uvicorn (realtime)


ROOT = Path(__file__).resolve().parent
PRODUCTION_PEPPER = "e2e-production-pepper-0123456789"


def render_proxy_template(values: dict) -> str:
    """docker/nginx's template with `${RELAIS_…}` replaced, as the nginx image's envsubst
    does it (nginx's own `$variables` are left alone)."""
    import re

    template = (ROOT / "docker/nginx/templates/relais.conf.template").read_text()
    return re.sub(r"\$\{(RELAIS_[A-Z_]+)\}", lambda m: values[m.group(1)], template)


def nginx_conf(directory: Path, values: dict, http_extra: str = "") -> Path:
    """A complete nginx.conf under `directory` around the rendered template (the image's
    own nginx.conf plays this part in docker/)."""
    (directory / "temp").mkdir(parents=True, exist_ok=True)
    (directory / "relais.conf").write_text(render_proxy_template(values))
    conf = directory / "nginx.conf"
    import os

    # As root, nginx's workers would run as `nobody`, who cannot write under pytest's tmp.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}pid {directory}/nginx.pid;\nerror_log stderr warn;\ndaemon off;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n access_log off;\n client_body_temp_path {directory}/temp/body;\n"
        f" proxy_temp_path {directory}/temp/proxy;\n fastcgi_temp_path {directory}/temp/f;\n"
        f" uwsgi_temp_path {directory}/temp/u;\n scgi_temp_path {directory}/temp/s;\n"
        f" {http_extra}\n include {directory}/relais.conf;\n}}\n"
    )
    return conf


@pytest.fixture(scope="session")
def production_static(tmp_path_factory):
    """The static files as the image's build step makes them (docker/build-static.sh)."""
    import os
    import subprocess
    import sys

    static_root = tmp_path_factory.mktemp("static")
    result = subprocess.run(
        [str(ROOT / "docker/build-static.sh")],
        env={**os.environ, "PYTHON": sys.executable, "DJANGO_STATIC_ROOT": str(static_root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return static_root


def _wait_for(url: str, process, log_path) -> None:
    import time
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status: the server answers
                return
            if process.poll() is not None:
                break
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer:\n{Path(log_path).read_text()}")


@pytest.fixture
def production_stack(tmp_path, settings, production_static):
    """`production_stack(**env)` starts what docker/compose.yml runs, on this machine and the
    test database: nginx with docker/nginx's template in front, `docker/entrypoint.sh web`
    (migrate, gunicorn with docker/gunicorn.conf.py and production settings) and
    `docker/entrypoint.sh realtime` (uvicorn). nginx reaches them from 127.0.0.2, the one
    trusted proxy (RELAIS_TRUSTED_PROXIES), so a client on 127.0.0.1 is not a proxy; nginx
    sends local-storage downloads from the web process's media root. Returns
    the proxy's base URL; `.web` is gunicorn's. Needs `django_db(transaction=True)`."""
    import os
    import shutil
    import subprocess
    import sys
    from types import SimpleNamespace

    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is absent: apt-get install nginx-light (CI installs it)")
    # Keys made here must be what the servers read.
    settings.RELAIS_KEY_PEPPER = PRODUCTION_PEPPER
    started = []

    def run(args, log_name, env):
        log_path = tmp_path / log_name
        log = log_path.open("w")
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process, log_path

    def start(threads: int = 4, **extra):
        web_port, realtime_port, proxy_port = _free_port(), _free_port(), _free_port()
        venv_bin = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": _database_url(),
            "DJANGO_SECRET_KEY": "e2e-" + "k9Xq2mP7vL4nR8tW1yZ5bC3dF6gH0jK" * 2,
            "RELAIS_KEY_PEPPER": PRODUCTION_PEPPER,
            "RELAIS_SIGNING_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "RELAIS_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_STATIC_ROOT": str(production_static),
            "DJANGO_SECURE_COOKIES": "false",
            "RELAIS_TRUSTED_PROXIES": "127.0.0.2",
            "RELAIS_PUBLIC_URL": f"http://127.0.0.1:{proxy_port}",
            "GUNICORN_BIND": f"127.0.0.1:{web_port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_TMP_DIR": str(tmp_path),
            "REALTIME_HOST": "127.0.0.1",
            "REALTIME_PORT": str(realtime_port),
            # As docker/compose.yml: local-storage downloads handed to nginx.
            "RELAIS_ACCEL_REDIRECT_PREFIX": "/.relais-media/",
            **extra,
        }
        (tmp_path / "var").mkdir(exist_ok=True)
        entrypoint = str(ROOT / "docker/entrypoint.sh")
        web, web_log = run([entrypoint, "web"], "web.log", env)
        realtime, realtime_log = run([entrypoint, "realtime"], "realtime.log", env)
        conf = nginx_conf(
            tmp_path / "nginx",
            {
                "RELAIS_WEB_UPSTREAM": f"127.0.0.1:{web_port}",
                "RELAIS_REALTIME_UPSTREAM": f"127.0.0.1:{realtime_port}",
                "RELAIS_PROXY_LISTEN": f"127.0.0.1:{proxy_port}",
                "RELAIS_PROXY_MAX_BODY": extra.get("RELAIS_PROXY_MAX_BODY", "64m"),
                "RELAIS_PROXY_MEDIA_ROOT": str(tmp_path / "var" / "media"),
            },
            http_extra="proxy_bind 127.0.0.2;",
        )
        proxy, proxy_log = run(
            [nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf)], "nginx.log", env
        )
        _wait_for(f"http://127.0.0.1:{web_port}/api/v1/health", web, web_log)
        _wait_for(
            f"http://127.0.0.1:{realtime_port}/socket.io/?EIO=4&transport=polling",
            realtime,
            realtime_log,
        )
        url = f"http://127.0.0.1:{proxy_port}"
        _wait_for(f"{url}/api/v1/health", proxy, proxy_log)
        return SimpleNamespace(
            url=url,
            web=f"http://127.0.0.1:{web_port}",
            port=proxy_port,
            web_port=web_port,
            logs=tmp_path,
        )

    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
