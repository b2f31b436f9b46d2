"""Offline license files: a license (and the device it is for) signed with the platform key,
which a node without network verifies with the public key alone (clients/relais_verify.py).

    -----BEGIN LICENSE FILE-----
    base64 of {"alg": "EdDSA", "data": <base64 of the canonical JSON>, "kid": …, "sig": …}
    -----END LICENSE FILE-----

`sig` is the Ed25519 signature of the decoded `data` bytes. The file is valid until the
policy's `offline_validity` after issue, never past the license's own end (expiry plus
grace). Issuing one writes nothing: it is a signed reading of the license.
"""

import base64
import json
import textwrap
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.signatures import b64, canonical_json, iso, sign_bytes, signing_enabled

from .codes import Code, license_refusal, license_status_code
from .models import License

LICENSE_FILE_TYPE = "relais.license-file/v1"
BEGIN = "-----BEGIN LICENSE FILE-----"
END = "-----END LICENSE FILE-----"


@dataclass(frozen=True)
class LicenseFile:
    text: str
    data: dict
    valid_until: datetime
    kid: str


def license_file_valid_until(license: License, now: datetime) -> datetime:
    valid_until = now + license.policy.offline_validity
    if license.expires_at:
        valid_until = min(valid_until, license.expires_at + license.grace_period)
    return valid_until


def license_file_data(*, license: License, device=None, now: datetime) -> dict:
    return {
        "type": LICENSE_FILE_TYPE,
        "licenseId": str(license.pk),
        "keyPrefix": license.key_prefix,
        "product": license.product.slug,
        "tenantId": str(license.tenant_id),
        "tenantName": license.tenant.name,
        "policy": license.policy.name,
        "status": license.status,
        "entitlements": list(license.policy.entitlements),
        "maxDevices": license.max_devices,
        "expiresAt": iso(license.expires_at),
        "updatesUntil": iso(license.updates_until),
        "device": (
            {"id": str(device.pk), "hardwareId": device.hardware_id} if device is not None else None
        ),
        "issuedAt": iso(now),
        "validUntil": iso(license_file_valid_until(license, now)),
    }


def license_file_armor(data: bytes) -> tuple[str, str]:
    """(the armoured file, the kid that signed it)."""
    signature = sign_bytes(data)
    envelope = {"alg": "EdDSA", "data": b64(data), "kid": signature.kid, "sig": signature.value}
    body = base64.b64encode(json.dumps(envelope, sort_keys=True).encode()).decode()
    return "\n".join([BEGIN, *textwrap.wrap(body, 64), END]) + "\n", signature.kid


def license_file_issue(*, license: License, device=None, now: datetime | None = None):
    """A signed offline license file for `license`, bound to `device` (one of its devices)
    or, without one, to the license alone. Refused for a license that does not validate."""
    now = now or timezone.now()
    if not signing_enabled():
        raise ApiError("SIGNING_DISABLED", _("Signing is turned off on this server."), 503)
    code = license_status_code(license, now=now)
    if code != Code.VALID:
        raise license_refusal(code)
    if device is not None and (device.license_id != license.pk or device.status != "active"):
        raise ApiError(
            "DEVICE_MISMATCH", _("This device does not hold a seat of the license."), 400
        )
    data = license_file_data(license=license, device=device, now=now)
    text, kid = license_file_armor(canonical_json(data))
    return LicenseFile(
        text=text, data=data, valid_until=license_file_valid_until(license, now), kid=kid
    )


def license_file_name(license: License, device=None) -> str:
    suffix = f"-{device.hardware_id}" if device is not None else ""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in suffix)
    return f"license-{license.key_prefix}{safe}.lic"
