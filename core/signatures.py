"""Platform signatures: Ed25519 keys, key ids, canonical JSON, published public keys.

One private key signs: the current one. Public keys of earlier keys stay published until
their `notAfter` (the rotation's overlap), so what they signed keeps verifying meanwhile.
Clients verify the exact bytes they are sent; the canonical form only makes those bytes
reproducible (RFC 8785 JCS for the JSON subset Relais signs: objects with ASCII keys,
strings, integers, booleans and null; UTF-8, keys sorted, no whitespace).
"""

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.dateparse import parse_datetime


class SigningKeyError(ValueError):
    """A signing key or public key that cannot be used; the message says why."""


# --- Canonical JSON ----------------------------------------------------------------------


def _check_canonical(value, path="$"):
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise TypeError(f"{path}: keys must be ASCII strings")
            _check_canonical(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_canonical(item, f"{path}[{i}]")
    elif isinstance(value, float):
        # JCS writes numbers as ECMAScript does; integers are all we need, exactly.
        raise TypeError(f"{path}: floats are not signed")
    elif value is not None and not isinstance(value, str | int | bool):
        raise TypeError(f"{path}: {type(value).__name__} is not JSON")


def canonical_json(value) -> bytes:
    """The bytes a signature covers. With ASCII keys, no floats, and Python escaping only
    `"`, `\\` and control characters (as ECMAScript's JSON.stringify), this is RFC 8785."""
    _check_canonical(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


# --- Encodings and key ids ---------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode_any(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not."""
    text = "".join(text.split())
    text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise SigningKeyError("not base64") from exc


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw_public: bytes) -> str:
    """First 16 hex characters of the sha256 of the raw 32-byte public key."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _moment(text: str, what: str) -> datetime:
    moment = parse_datetime(text.strip())
    if moment is None or moment.tzinfo is None:
        raise SigningKeyError(f"{what}: {text!r} is not an ISO 8601 date-time with a zone")
    return moment


# --- Private keys ------------------------------------------------------------------------


def private_key_load(text: str) -> Ed25519PrivateKey:
    """A PEM (PKCS#8 "PRIVATE KEY") or the base64 of the raw 32-byte seed."""
    text = text.strip()
    if not text:
        raise SigningKeyError("the signing key is empty")
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise SigningKeyError(f"unreadable PEM private key ({exc})") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the PEM key is not an Ed25519 key")
        return key
    raw = b64decode_any(text)
    if len(raw) != 32:
        raise SigningKeyError(f"a raw Ed25519 key has 32 bytes, not {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def private_key_generate_file(path: Path) -> None:
    """Write a new key to `path` unless one is there: written aside, then linked into place,
    so concurrent starters (web and worker) end up with the same key and never half a file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(private_key_pem(Ed25519PrivateKey.generate()))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def private_key_text(*, key: str, key_file: str, generate: bool = False) -> str:
    """The configured private key's text: RELAIS_SIGNING_KEY, else the file (generated on
    the embedded default). Raises SigningKeyError when there is none."""
    if key.strip():
        return key
    if not key_file:
        raise SigningKeyError("set RELAIS_SIGNING_KEY or RELAIS_SIGNING_KEY_FILE")
    path = Path(key_file)
    if generate:
        private_key_generate_file(path)
    try:
        return path.read_text()
    except OSError as exc:
        raise SigningKeyError(f"cannot read RELAIS_SIGNING_KEY_FILE {path}: {exc}") from exc


# --- Public keys and the keyring ---------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    raw: bytes
    not_before: datetime | None = None
    not_after: datetime | None = None

    @property
    def kid(self) -> str:
        return key_id(self.raw)

    def jwk(self) -> dict:
        return {
            "kid": self.kid,
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "x": b64url(self.raw),
            "notBefore": iso(self.not_before),
            "notAfter": iso(self.not_after),
        }


def previous_keys_parse(lines) -> list[PublicKey]:
    """Earlier public keys, one `<x>@<notAfter>` each: x the raw public key in base64 or
    base64url (a JWK's `x`), notAfter an ISO 8601 date-time with a zone."""
    keys = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        x, sep, not_after = line.partition("@")
        if not sep:
            raise SigningKeyError(f"previous key {line!r}: expected <x>@<notAfter>")
        raw = b64decode_any(x)
        if len(raw) != 32:
            raise SigningKeyError(f"previous key {x!r}: an Ed25519 public key has 32 bytes")
        keys.append(PublicKey(raw=raw, not_after=_moment(not_after, "previous key notAfter")))
    return keys


@dataclass(frozen=True)
class Signature:
    kid: str
    value: str  # base64 of the 64-byte Ed25519 signature


class Keyring:
    def __init__(self, private: Ed25519PrivateKey, *, not_before=None, previous=()):
        self._private = private
        self.current = PublicKey(raw=public_raw(private), not_before=not_before)
        self.previous = [k for k in previous if k.raw != self.current.raw]

    def sign(self, data: bytes) -> Signature:
        return Signature(kid=self.current.kid, value=b64(self._private.sign(data)))

    def published(self, now: datetime | None = None) -> list[PublicKey]:
        """The current key and the earlier ones still inside their overlap."""
        now = now or datetime.now(UTC)
        return [self.current, *(k for k in self.previous if k.not_after > now)]


def keyring_from(
    *,
    key: str,
    key_file: str,
    generate: bool = False,
    not_before: str = "",
    previous=(),
    previous_file: str = "",
) -> Keyring:
    """The keyring the settings describe; SigningKeyError says what is wrong with them
    (production checks this when it starts)."""
    text = private_key_text(key=key, key_file=key_file, generate=generate)
    lines = list(previous)
    if previous_file:
        try:
            lines += Path(previous_file).read_text().splitlines()
        except OSError as exc:
            raise SigningKeyError(f"cannot read {previous_file}: {exc}") from exc
    return Keyring(
        private_key_load(text),
        not_before=_moment(not_before, "RELAIS_SIGNING_KEY_NOT_BEFORE") if not_before else None,
        previous=previous_keys_parse(lines),
    )


def keyring_from_settings() -> Keyring:
    return keyring_from(
        key=settings.RELAIS_SIGNING_KEY,
        key_file=settings.RELAIS_SIGNING_KEY_FILE,
        generate=settings.RELAIS_SIGNING_KEY_GENERATE,
        not_before=settings.RELAIS_SIGNING_KEY_NOT_BEFORE,
        previous=settings.RELAIS_SIGNING_PREVIOUS_KEYS,
        previous_file=settings.RELAIS_SIGNING_PREVIOUS_KEYS_FILE,
    )


@cache
def keyring() -> Keyring | None:
    """The platform's keys, loaded once per process; None when signing is off."""
    if not settings.RELAIS_SIGNING:
        return None
    return keyring_from_settings()


@receiver(setting_changed)
def _forget_keyring(*, setting, **kwargs):
    if setting.startswith("RELAIS_SIGNING"):
        keyring.cache_clear()


def signing_enabled() -> bool:
    return keyring() is not None


def sign_bytes(data: bytes) -> Signature:
    """The one place Relais signs (tests count its calls)."""
    ring = keyring()
    if ring is None:
        raise SigningKeyError("signing is off (RELAIS_SIGNING=false)")
    return ring.sign(data)
