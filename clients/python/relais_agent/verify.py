"""Ed25519 signatures of Relais: update manifests and offline license files (the rules of
docs/concepts/signing.md, as clients/relais_verify.py applies them, typed)."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MANIFEST_TYPE = "relais.update-manifest/v1"
LICENSE_FILE_TYPE = "relais.license-file/v1"
BEGIN = "-----BEGIN LICENSE FILE-----"
END = "-----END LICENSE FILE-----"


class VerificationError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PublicKey:
    raw: bytes
    not_before: datetime | None
    not_after: datetime | None


def b64decode(text: str) -> bytes:
    text = "".join(text.split()).replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("MALFORMED", "not base64") from exc


def moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_keys(jwks: dict[str, Any] | list[dict[str, Any]]) -> dict[str, PublicKey]:
    """kid -> key, from `GET /api/v1/keys` ({"keys": [...]}) or a list of its entries."""
    entries = jwks["keys"] if isinstance(jwks, dict) else jwks
    keys = {}
    for jwk in entries:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        keys[jwk["kid"]] = PublicKey(
            raw=b64decode(jwk["x"]),
            not_before=moment(jwk.get("notBefore")),
            not_after=moment(jwk.get("notAfter")),
        )
    return keys


def verify_signed(
    data: bytes, signature_b64: str, kid: str, keys: dict[str, PublicKey], *, now: datetime
) -> None:
    key = keys.get(kid)
    if key is None:
        raise VerificationError("UNKNOWN_KID", f"no trusted key has the id {kid!r}")
    if key.not_after is not None and now >= key.not_after:
        raise VerificationError("KEY_EXPIRED", f"key {kid} is not trusted after {key.not_after}")
    if key.not_before is not None and now < key.not_before:
        raise VerificationError("KEY_NOT_YET_VALID", f"key {kid} is valid from {key.not_before}")
    signature = b64decode(signature_b64)
    try:
        Ed25519PublicKey.from_public_bytes(key.raw).verify(signature, data)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError("BAD_SIGNATURE", "the signature does not match") from exc


def _document(data: bytes, expected_type: str) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerificationError("MALFORMED", "the signed data is not JSON") from exc
    if not isinstance(document, dict) or document.get("type") != expected_type:
        raise VerificationError("WRONG_TYPE", f"not a {expected_type}")
    return document


_COPIES = {"version": "version", "checksum": "sha256", "size": "size", "mandatory": "mandatory"}


def verify_manifest(
    body: dict[str, Any],
    keys: dict[str, PublicKey],
    *,
    serials: dict[str, int],
    product: str | None = None,
    tenant: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The signed manifest of a canonical offer once every client rule holds (trusted key,
    not expired: freeze, serial not lower than seen: rollback, product and tenant, body
    agreeing). `serials` (product -> highest serial) is updated only on success."""
    now = now or datetime.now(UTC)
    try:
        text, signature, kid = body["manifest"], body["signature"], body["kid"]
    except (KeyError, TypeError) as exc:
        raise VerificationError("MALFORMED", "the offer is not signed") from exc
    if not all(isinstance(v, str) for v in (text, signature, kid)):
        raise VerificationError("MALFORMED", "the offer is not signed")
    data = text.encode("utf-8")
    verify_signed(data, signature, kid, keys, now=now)
    manifest = _document(data, MANIFEST_TYPE)
    expires = moment(manifest.get("expiresAt"))
    if expires is None or now >= expires:
        raise VerificationError("MANIFEST_EXPIRED", f"expired at {manifest.get('expiresAt')}")
    if product is not None and manifest["product"] != product:
        raise VerificationError("PRODUCT_MISMATCH", f"for {manifest['product']}, not {product}")
    if tenant is not None and manifest["tenant"] not in (None, tenant):
        raise VerificationError("TENANT_MISMATCH", "for another tenant")
    for field, signed in _COPIES.items():
        if field in body and body[field] != manifest[signed]:
            raise VerificationError("MISMATCH", f"{field} differs from the signed manifest")
    seen = serials.get(manifest["product"], -1)
    if manifest["serial"] < seen:
        raise VerificationError("ROLLBACK", f"serial {manifest['serial']} is older than {seen}")
    serials[manifest["product"]] = manifest["serial"]
    return manifest


def verify_license_file(
    text: str,
    keys: dict[str, PublicKey],
    *,
    product: str,
    hardware_id: str | None,
    allow_unbound: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The data of an offline license file, once signed by a trusted key, for this product
    and machine, and not past `validUntil`."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if not (text.startswith(BEGIN) and text.endswith(END)):
        raise VerificationError("MALFORMED", "not a license file")
    try:
        envelope = json.loads(b64decode(text[len(BEGIN) : -len(END)]))
        data_b64, signature, kid = envelope["data"], envelope["sig"], envelope["kid"]
        alg = envelope["alg"]
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError("MALFORMED", "unreadable license file") from exc
    if alg != "EdDSA":
        raise VerificationError("MALFORMED", f"unsupported algorithm {alg!r}")
    data = b64decode(data_b64)
    verify_signed(data, signature, kid, keys, now=now)
    license = _document(data, LICENSE_FILE_TYPE)
    if license["product"] != product:
        raise VerificationError("PRODUCT_MISMATCH", f"for {license['product']}, not {product}")
    device = license.get("device")
    if device is None:
        if not allow_unbound:
            raise VerificationError("DEVICE_MISMATCH", "the file is not bound to a device")
    elif device.get("hardwareId") != hardware_id:
        raise VerificationError("DEVICE_MISMATCH", "the file is for another device")
    valid_until = moment(license.get("validUntil"))
    if valid_until is None or now >= valid_until:
        raise VerificationError("LICENSE_FILE_EXPIRED", f"valid until {license.get('validUntil')}")
    return license
