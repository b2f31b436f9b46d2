"""Fixtures shared by every app's tests."""

import pytest
from rest_framework.test import APIClient

from licensing.tests.factories import LicenseFactory, TenantFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    from releases.tests.factories import forget_caches

    forget_caches()
    yield
    forget_caches()


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
