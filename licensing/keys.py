"""Secrets: license keys, device tokens and API tokens are shown once and stored as
HMAC-SHA256 with a server pepper, never in clear."""

import hashlib
import hmac
import re
import secrets

from django.conf import settings

LICENSE_KEY_RE = re.compile(r"^[0-9A-Z]{8}(-[0-9A-Z]{8}){3}$")


def secret_hash(secret: str) -> str:
    pepper = settings.RELAIS_KEY_PEPPER.encode()
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def license_key_generate() -> str:
    """128 random bits as XXXXXXXX-XXXXXXXX-XXXXXXXX-XXXXXXXX (the CyberSensei format)."""
    raw = secrets.token_hex(16).upper()
    return "-".join(raw[i : i + 8] for i in range(0, 32, 8))


def license_key_normalize(key: str) -> str:
    return key.strip().upper()


def license_key_is_well_formed(key: str) -> bool:
    return bool(LICENSE_KEY_RE.match(license_key_normalize(key)))


def token_generate(kind: str) -> str:
    """A bearer token such as `dvt_…` (device) or `rlt_…` (API): the prefix tells its kind."""
    return f"{kind}_{secrets.token_urlsafe(32)}"


def token_display_prefix(token: str) -> str:
    return token[:12]
