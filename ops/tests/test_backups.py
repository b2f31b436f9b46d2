"""manage.py backup and restore (ops.backups): a backup restored into an empty database and
an empty storage serves devices as before; a restore refuses what could not work.

On SQLite and local files by default; on PostgreSQL (pg_dump/pg_restore) and S3 over HTTP in
the suite's second run, where the empty database and bucket are made here."""

import hashlib
import json
import os
import subprocess
import sys
import uuid

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from conftest import ROOT, _database_url, _ensure_bucket
from licensing.tests.factories import LicenseFactory
from releases.tests.offers import offered

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = os.urandom(3 * 1024 * 1024 + 5)


def manage(*args, **env):
    """`manage.py <args>` in its own process, as an operator runs it."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result


def new_bucket(settings) -> dict:
    """With S3: the environment naming a new, empty bucket (the suite's own is shared)."""
    if not settings.AWS_STORAGE_BUCKET_NAME:
        return {}
    bucket = f"{settings.AWS_STORAGE_BUCKET_NAME}-{uuid.uuid4().hex[:8]}"
    _ensure_bucket(
        settings.AWS_S3_ENDPOINT_URL,
        bucket,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
    )
    return {"AWS_STORAGE_BUCKET_NAME": bucket}


@pytest.fixture
def empty_target(tmp_path, settings):
    """Environment for processes on a new, empty database and storage."""
    env = {"RELAIS_VAR_DIR": str(tmp_path / "restored-var"), **new_bucket(settings)}
    if connection.vendor == "postgresql":
        import psycopg

        name = f"{connection.settings_dict['NAME']}_restored"
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params["dbname"] = "postgres"
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = _database_url().rsplit("/", 1)[0] + f"/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    yield env
    if connection.vendor == "postgresql":
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_serves_devices_as_before(asgi_server, empty_target, tmp_path, settings):
    # The signing key is a secret kept elsewhere: both sides are given the same one.
    shared = {"RELAIS_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem")}
    source = new_bucket(settings)
    url = asgi_server(**shared, **source)
    offer, node = offered(url, CONTENT, hardware_id="backup-hw")
    key = node["Authorization"].removeprefix("Bearer ")

    made = manage(
        "backup",
        str(tmp_path / "backup"),
        DATABASE_URL=_database_url(),
        RELAIS_VAR_DIR=str(tmp_path / "server-0"),  # the first server's local files
        **shared,
        **source,
    )
    assert made.returncode == 0, made.stderr
    assert "RELAIS_KEY_PEPPER, RELAIS_SIGNING_KEY" in made.stderr
    manifest = json.loads((tmp_path / "backup/manifest.json").read_text())
    assert [meta["sha256"] for meta in manifest["storage"]["files"].values()] == [
        hashlib.sha256(CONTENT).hexdigest()
    ]
    assert "test-pepper" not in (tmp_path / "backup/manifest.json").read_text()

    restored = manage("restore", str(tmp_path / "backup"), **empty_target, **shared)
    assert restored.returncode == 0, restored.stderr
    assert "Restored the database and 1 stored files" in restored.stdout
    assert "Warning" not in restored.stderr

    again = asgi_server(**empty_target, **shared)
    validated = requests.post(f"{again}/api/v1/licenses/validate", json={"key": key}, timeout=30)
    assert validated.json()["code"] == "VALID", validated.text
    check = requests.get(
        f"{again}/api/v1/updates/check",
        params={"hardwareId": "backup-hw", "version": "1.0.0"},
        headers=node,
        timeout=30,
    ).json()
    assert check["updateAvailable"] and check["checksum"] == offer["checksum"], check
    assert check["sessionId"] == offer["sessionId"]
    download = requests.get(check["downloadUrl"], headers=node, timeout=60)
    assert download.status_code == 200 and download.content == CONTENT


def test_a_second_backup_into_the_same_folder_fetches_only_new_files(tmp_path, local_storage):
    default_storage.save("backups-test/one.bin", ContentFile(b"1" * 100))
    call_command("backup", str(tmp_path))
    copy = tmp_path / "storage/backups-test/one.bin"
    written = copy.stat().st_mtime_ns
    default_storage.save("backups-test/two.bin", ContentFile(b"2" * 50))
    call_command("backup", str(tmp_path))
    files = json.loads((tmp_path / "manifest.json").read_text())["storage"]["files"]
    assert files["backups-test/one.bin"]["size"] == 100
    assert files["backups-test/two.bin"] == {
        "size": 50,
        "sha256": hashlib.sha256(b"2" * 50).hexdigest(),
    }
    assert copy.stat().st_mtime_ns == written


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, local_storage):
    LicenseFactory()
    call_command("backup", str(tmp_path))
    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore", str(tmp_path))


def test_restore_refuses_another_pepper(tmp_path, settings, local_storage):
    call_command("backup", str(tmp_path))
    settings.RELAIS_KEY_PEPPER = "another-pepper-0123456789"
    with pytest.raises(CommandError, match="RELAIS_KEY_PEPPER is not the one of the backup"):
        call_command("restore", str(tmp_path))


def test_restore_refuses_a_folder_that_is_no_backup(tmp_path):
    with pytest.raises(CommandError, match="not a Relais backup"):
        call_command("restore", str(tmp_path))


def test_restore_refuses_a_damaged_file_before_loading_anything(
    tmp_path, empty_target, local_storage
):
    default_storage.save("backups-test/three.bin", ContentFile(b"3" * 10))
    call_command("backup", str(tmp_path / "backup"))
    default_storage.delete("backups-test/three.bin")
    (tmp_path / "backup/storage/backups-test/three.bin").write_bytes(b"4" * 10)
    refused = manage("restore", str(tmp_path / "backup"), **empty_target)
    assert refused.returncode != 0
    assert "backups-test/three.bin is missing or damaged" in refused.stderr
    # Nothing was loaded: once the copy is right again, the same target takes the restore.
    (tmp_path / "backup/storage/backups-test/three.bin").write_bytes(b"3" * 10)
    restored = manage("restore", str(tmp_path / "backup"), **empty_target)
    assert restored.returncode == 0, restored.stderr
