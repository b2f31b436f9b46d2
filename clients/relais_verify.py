"""Reference verifier of Relais signatures, for clients: update manifests and offline license
files. Standalone (no Django); needs PyNaCl or `cryptography`. Copy it into a client.

    keys = load_keys(requests.get(f"{server}/api/v1/keys").json())  # fetch once, pin, refresh
    state = {}  # product -> highest serial seen; persist it between runs
    manifest = verify_manifest(check_response, keys, state=state, product="itstock-crm")
    # then download, and install only if sha256(file) == manifest["sha256"]

    data = verify_license_file(text, keys, product="itstock-crm", hardware_id="hw-1")

Every refusal is a VerificationError with a `code`:
UNKNOWN_KID, KEY_EXPIRED, KEY_NOT_YET_VALID, BAD_SIGNATURE, MALFORMED, WRONG_TYPE,
MANIFEST_EXPIRED, ROLLBACK, MISMATCH, PRODUCT_MISMATCH, TENANT_MISMATCH, DEVICE_MISMATCH,
LICENSE_FILE_EXPIRED.
"""

import base64
import binascii
import json
from datetime import UTC, datetime

MANIFEST_TYPE = "relais.update-manifest/v1"
LICENSE_FILE_TYPE = "relais.license-file/v1"
BEGIN = "-----BEGIN LICENSE FILE-----"
END = "-----END LICENSE FILE-----"


class VerificationError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _b64(text: str) -> bytes:
    text = "".join(text.split()).replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("MALFORMED", "not base64") from exc


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _verify_nacl(public: bytes, signature: bytes, data: bytes) -> bool:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(public).verify(data, signature)
    except BadSignatureError:
        return False
    return True


def _verify_cryptography(public: bytes, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _default_backend():
    try:
        import nacl.signing  # noqa: F401
    except ImportError:
        return _verify_cryptography
    return _verify_nacl


BACKENDS = {"nacl": _verify_nacl, "cryptography": _verify_cryptography}


def load_keys(jwks) -> dict:
    """kid -> key, from `GET /api/v1/keys` ({"keys": [...]}) or a list of its entries."""
    entries = jwks["keys"] if isinstance(jwks, dict) else jwks
    keys = {}
    for jwk in entries:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        keys[jwk["kid"]] = {
            "x": _b64(jwk["x"]),
            "notBefore": _moment(jwk.get("notBefore")),
            "notAfter": _moment(jwk.get("notAfter")),
        }
    return keys


def verify_signed(data: bytes, signature_b64: str, kid: str, keys: dict, *, now=None, backend=None):
    """The signature of `data` by the key `kid`, which must be known and valid now."""
    now = now or datetime.now(UTC)
    key = keys.get(kid)
    if key is None:
        raise VerificationError("UNKNOWN_KID", f"no trusted key has the id {kid!r}")
    if key["notAfter"] is not None and now >= key["notAfter"]:
        raise VerificationError("KEY_EXPIRED", f"key {kid} is not trusted after {key['notAfter']}")
    if key["notBefore"] is not None and now < key["notBefore"]:
        raise VerificationError("KEY_NOT_YET_VALID", f"key {kid} is valid from {key['notBefore']}")
    signature = _b64(signature_b64)
    if len(signature) != 64 or not (backend or _default_backend())(key["x"], signature, data):
        raise VerificationError("BAD_SIGNATURE", "the signature does not match the data")


def _json(data: bytes, expected_type: str) -> dict:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerificationError("MALFORMED", "the signed data is not JSON") from exc
    if not isinstance(document, dict) or document.get("type") != expected_type:
        raise VerificationError("WRONG_TYPE", f"not a {expected_type}")
    return document


# What an offer's plain fields are called in each dialect, and the manifest field they copy.
_COPIES = {
    "version": "version",
    "latestVersion": "version",
    "checksum": "sha256",
    "sha256": "sha256",
    "size": "size",
    "fileSize": "size",
    "mandatory": "mandatory",
}


def verify_manifest(
    body: dict,
    keys: dict,
    *,
    state: dict | None = None,
    product: str | None = None,
    tenant: str | None = None,
    now: datetime | None = None,
    backend=None,
) -> dict:
    """The signed manifest of an update offer (any dialect's body with `manifest`,
    `signature` and `kid`), once every client rule holds:

    - signed by a trusted, currently valid key (unknown `kid`: refresh the keys once from
      GET /api/v1/keys, over HTTPS, then refuse);
    - not expired (`expiresAt`), so a frozen mirror cannot keep a client on old releases;
    - `serial` not lower than the highest already seen for the product (`state`, updated
      here), so an older signed manifest cannot be replayed: rollback;
    - for this product and tenant (a shared release has tenant null);
    - the body's plain fields agree with it. Install only what it names: compare the
      downloaded file's sha256 with `manifest["sha256"]`.
    """
    now = now or datetime.now(UTC)
    try:
        text, signature, kid = body["manifest"], body["signature"], body["kid"]
    except (KeyError, TypeError) as exc:
        raise VerificationError("MALFORMED", "the offer is not signed") from exc
    data = text.encode("utf-8")
    verify_signed(data, signature, kid, keys, now=now, backend=backend)
    manifest = _json(data, MANIFEST_TYPE)
    if now >= _moment(manifest["expiresAt"]):
        raise VerificationError("MANIFEST_EXPIRED", f"expired at {manifest['expiresAt']}")
    if product is not None and manifest["product"] != product:
        raise VerificationError("PRODUCT_MISMATCH", f"for {manifest['product']}, not {product}")
    if tenant is not None and manifest["tenant"] not in (None, tenant):
        raise VerificationError("TENANT_MISMATCH", "for another tenant")
    for field, signed in _COPIES.items():
        if field in body and body[field] != manifest[signed]:
            raise VerificationError("MISMATCH", f"{field} differs from the signed manifest")
    if state is not None:
        seen = state.get(manifest["product"], -1)
        if manifest["serial"] < seen:
            raise VerificationError(
                "ROLLBACK", f"serial {manifest['serial']} is older than {seen}, already seen"
            )
        state[manifest["product"]] = manifest["serial"]
    return manifest


def verify_license_file(
    text: str,
    keys: dict,
    *,
    product: str,
    hardware_id: str | None,
    allow_unbound: bool = False,
    now: datetime | None = None,
    backend=None,
) -> dict:
    """The data of an offline license file once it is signed by a trusted key, for this
    product and this machine (a file issued for the license alone only if `allow_unbound`),
    and not past `validUntil`."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if not (text.startswith(BEGIN) and text.endswith(END)):
        raise VerificationError("MALFORMED", "not a license file")
    try:
        envelope = json.loads(_b64(text[len(BEGIN) : -len(END)]))
        data_b64, signature, kid, alg = (
            envelope["data"],
            envelope["sig"],
            envelope["kid"],
            envelope["alg"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError("MALFORMED", "unreadable license file") from exc
    if alg != "EdDSA":
        raise VerificationError("MALFORMED", f"unsupported algorithm {alg!r}")
    data = _b64(data_b64)
    verify_signed(data, signature, kid, keys, now=now, backend=backend)
    license = _json(data, LICENSE_FILE_TYPE)
    if license["product"] != product:
        raise VerificationError("PRODUCT_MISMATCH", f"for {license['product']}, not {product}")
    device = license.get("device")
    if device is None:
        if not allow_unbound:
            raise VerificationError("DEVICE_MISMATCH", "the file is not bound to a device")
    elif device.get("hardwareId") != hardware_id:
        raise VerificationError("DEVICE_MISMATCH", "the file is for another device")
    if now >= _moment(license["validUntil"]):
        raise VerificationError("LICENSE_FILE_EXPIRED", f"valid until {license['validUntil']}")
    return license
