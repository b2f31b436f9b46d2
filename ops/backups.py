"""A consistent backup of what Relais cannot rebuild, and its restore (docs/operations/backups.md).

A backup is a folder: `database.dump` (pg_dump's custom format) or `database.sqlite3` (the
SQLite online backup), `storage/` (every file of the default storage, local or S3, pulled
down) and `manifest.json` (what is in it, with each file's size and sha256, and the
fingerprints of the secrets kept elsewhere: the key pepper and the signing key are never
written into it).

Consistency: the database is dumped first, in one snapshot, and the storage is pulled after.
Artifacts are written to the storage before their row commits and never overwritten, so
every file a dumped row names is in the storage when it is pulled; a file uploaded between
the two is an orphan, harmless. Redis holds nothing to back up (docs/operations/backups.md).
"""

import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from core.signatures import keyring

FORMAT = 1
MANIFEST = "manifest.json"
STORAGE = "storage"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


# --- Secrets: named, fingerprinted, never copied -----------------------------------------------


def pepper_fingerprint() -> str:
    """An HMAC of a constant under RELAIS_KEY_PEPPER: says whether two peppers are the same
    without revealing either."""
    pepper = settings.RELAIS_KEY_PEPPER.encode()
    return hmac.new(pepper, b"relais backup pepper", hashlib.sha256).hexdigest()[:16]


def signing_kid() -> str | None:
    ring = keyring()
    return ring.current.kid if ring is not None else None


def secrets_kept_elsewhere() -> dict[str, dict]:
    return {
        "RELAIS_KEY_PEPPER": {
            "fingerprint": pepper_fingerprint(),
            "why": "every stored license key, device token and API token is an HMAC under it",
        },
        "RELAIS_SIGNING_KEY": {
            "kid": signing_kid(),
            "why": "clients trust its public key; losing it means a rotation without overlap",
        },
    }


# --- Database ----------------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, name in (("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("HOST", "PGHOST")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PORT"):
        env["PGPORT"] = str(db["PORT"])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools).") from exc
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _sqlite_copy(source: str, target: str) -> None:
    """SQLite's online backup: a consistent copy even while other connections write."""
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def database_file_name() -> str:
    return "database.dump" if connection.vendor == "postgresql" else "database.sqlite3"


def database_dump(target: Path) -> None:
    """One consistent snapshot: pg_dump (a single transaction), or SQLite's online backup."""
    if connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", f"--file={target}"], _pg_env())
    elif connection.vendor == "sqlite":
        _sqlite_copy(connection.settings_dict["NAME"], str(target))
    else:
        raise BackupError(f"No backup for the {connection.vendor} database.")


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def database_load(source: Path) -> None:
    """Into the configured database, which must be empty (database_is_empty)."""
    if connection.vendor == "postgresql":
        # --no-owner/--no-acl: the restoring role owns everything, whoever made the dump.
        command = [
            "pg_restore",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
        ]
        _run([*command, f"--dbname={connection.settings_dict['NAME']}", str(source)], _pg_env())
    elif connection.vendor == "sqlite":
        connection.close()
        _sqlite_copy(str(source), connection.settings_dict["NAME"])
    else:
        raise BackupError(f"No restore for the {connection.vendor} database.")


def migrations_applied() -> dict[str, str]:
    """{app: its last applied migration}, to tell which code the dump belongs to."""
    last: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name").order_by(
        "app", "name"
    ):
        last[app] = name
    return last


# --- Storage: pulled down, pushed back --------------------------------------------------------


def storage_names(storage=default_storage, folder: str = "") -> list[str]:
    """Every file name of the storage, recursively (S3 keys or local paths)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local storage nothing was ever written to
        return []
    names = [f"{folder}{name}" for name in files]
    for sub in folders:
        names.extend(storage_names(storage, f"{folder}{sub}/"))
    return sorted(names)


def _copy(source, target) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        target.write(chunk)
    return size, digest.hexdigest()


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def storage_pull(folder: Path, previous: dict[str, dict] | None = None) -> dict[str, dict]:
    """Copies every file of the storage under `folder`: {name: {size, sha256}}. A file the
    `previous` manifest of this folder already holds with the same size is not fetched again
    (artifacts are never overwritten): a nightly backup into the same folder is a sync."""
    previous = previous or {}
    found: dict[str, dict] = {}
    for name in storage_names():
        target = folder / name
        known = previous.get(name)
        if (
            known
            and target.is_file()
            and target.stat().st_size == known["size"] == default_storage.size(name)
        ):
            found[name] = known
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, target.open("wb") as copy:
            size, sha256 = _copy(source, copy)
        found[name] = {"size": size, "sha256": sha256}
    return found


def storage_verify(folder: Path, files: dict[str, dict]) -> None:
    """Every file the manifest names is in the backup with its size and sha256."""
    for name, meta in sorted(files.items()):
        path = folder / name
        if (
            not path.is_file()
            or path.stat().st_size != meta["size"]
            or _digest(path) != meta["sha256"]
        ):
            raise BackupError(f"The backup's copy of {name} is missing or damaged.")


def storage_push(folder: Path, files: dict[str, dict]) -> dict[str, int]:
    """Puts the backup's files back under their names (checked by storage_verify). A name already stored with the same size is skipped (a restore run twice); with
    another size it is refused (the storage is not the empty one it should be)."""
    counts = {"uploaded": 0, "skipped": 0}
    for name, meta in sorted(files.items()):
        path = folder / name
        if default_storage.exists(name):
            if default_storage.size(name) != meta["size"]:
                raise BackupError(
                    f"The storage already holds another {name}: restore into an empty one."
                )
            counts["skipped"] += 1
            continue
        with path.open("rb") as handle:
            saved = default_storage.save(name, File(handle, name=name))
        if saved != name:  # the storage renamed it: the rows would name a missing file
            raise BackupError(f"The storage stored {name} as {saved}.")
        counts["uploaded"] += 1
    return counts


# --- The two operations ----------------------------------------------------------------------


def backup_make(folder: Path) -> dict:
    """Dumps the database, then pulls the storage, into `folder`; writes and returns the
    manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    previous = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    created_at = datetime.now(UTC).isoformat()
    database = database_file_name()
    partial = folder / f"{database}.partial"
    database_dump(partial)
    files = storage_pull(folder / STORAGE, previous.get("storage", {}).get("files"))
    partial.replace(folder / database)
    manifest = {
        "format": FORMAT,
        "created_at": created_at,
        "database": {
            "vendor": connection.vendor,
            "file": database,
            "migrations": migrations_applied(),
        },
        "storage": {"backend": default_storage.__class__.__name__, "files": files},
        "secrets_kept_elsewhere": secrets_kept_elsewhere(),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def backup_read(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} holds no readable {MANIFEST}: not a Relais backup.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')!r} is not {FORMAT}.")
    return manifest


def restore_checks(manifest: dict) -> list[str]:
    """Refuses what cannot work (BackupError); returns warnings for what may be intended."""
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"A {vendor} dump cannot be restored into {connection.vendor}.")
    secrets = manifest["secrets_kept_elsewhere"]
    if secrets["RELAIS_KEY_PEPPER"]["fingerprint"] != pepper_fingerprint():
        raise BackupError(
            "RELAIS_KEY_PEPPER is not the one of the backup: no stored license key, device "
            "token or API token would match. Set the pepper kept with the backup."
        )
    warnings = []
    kid = secrets["RELAIS_SIGNING_KEY"]["kid"]
    if kid and kid != signing_kid():
        warnings.append(
            f"The signing key is not the backup's (kid {kid}): clients verify with the keys "
            "they trust; restore the old key or list it in RELAIS_SIGNING_PREVIOUS_KEYS."
        )
    if not database_is_empty():
        raise BackupError("The database is not empty: restore into a new, empty database.")
    return warnings


def backup_restore(folder: Path) -> dict:
    """Loads the database and pushes the storage back; {"warnings": [...], "uploaded": n,
    "skipped": n}."""
    manifest = backup_read(folder)
    warnings = restore_checks(manifest)
    source = folder / manifest["database"]["file"]
    if not source.is_file():
        raise BackupError(f"{source} is missing.")
    storage_verify(folder / STORAGE, manifest["storage"]["files"])
    database_load(source)
    counts = storage_push(folder / STORAGE, manifest["storage"]["files"])
    return {"warnings": warnings, **counts}
