"""Machine-readable validation codes and their human messages (translated)."""

from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApiError


class Code(StrEnum):
    VALID = "VALID"
    NOT_FOUND = "NOT_FOUND"
    EXPIRED = "EXPIRED"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    TENANT_INACTIVE = "TENANT_INACTIVE"
    TOO_MANY_DEVICES = "TOO_MANY_DEVICES"
    USAGE_LIMIT_EXCEEDED = "USAGE_LIMIT_EXCEEDED"
    PRODUCT_MISMATCH = "PRODUCT_MISMATCH"
    DEVICE_NOT_ACTIVATED = "DEVICE_NOT_ACTIVATED"


MESSAGES = {
    Code.VALID: _("License is valid."),
    Code.NOT_FOUND: _("Invalid license key."),
    Code.EXPIRED: _("License expired."),
    Code.SUSPENDED: _("License suspended."),
    Code.REVOKED: _("License revoked."),
    Code.TENANT_INACTIVE: _("Tenant inactive."),
    Code.TOO_MANY_DEVICES: _("Too many devices for this license."),
    Code.USAGE_LIMIT_EXCEEDED: _("License usage limit exceeded."),
    Code.PRODUCT_MISMATCH: _("License is not valid for this product."),
    Code.DEVICE_NOT_ACTIVATED: _("Device not activated for this license."),
}


def message(code: Code) -> str:
    return str(MESSAGES[code])


# License code → HTTP status, written once. The canonical node API answers 401 for an
# unknown key and 403 for a license that does not let the node in; the CyberSensei seed
# fixes 404 for an unknown key and 400 for every other refusal.
REFUSAL_STATUS = {
    Code.NOT_FOUND: 401,
    Code.TOO_MANY_DEVICES: 403,
    Code.DEVICE_NOT_ACTIVATED: 403,
}
SEED_STATUS = {Code.NOT_FOUND: 404}


def refusal_status(code: Code, *, seed: bool = False) -> int:
    if seed:
        return SEED_STATUS.get(code, 400)
    return REFUSAL_STATUS.get(code, 403)


def license_refusal(code: Code, *, seed: bool = False) -> ApiError:
    """The API error for a license that does not let a node in."""
    return ApiError(code, message(code), refusal_status(code, seed=seed))


def license_status_code(license, *, product: str | None = None, now=None) -> Code:
    """The code a license gets now, without counting: shared by validation, registration,
    node authentication and the dialects. `product` (a slug) must be the license's."""
    now = now or timezone.now()
    if not license.tenant.is_active:
        return Code.TENANT_INACTIVE
    if license.status == license.Status.REVOKED:
        return Code.REVOKED
    if license.status == license.Status.SUSPENDED:
        return Code.SUSPENDED
    if license.expires_at and license.expires_at + license.grace_period < now:
        return Code.EXPIRED
    if product is not None and product != license.product.slug:
        return Code.PRODUCT_MISMATCH
    return Code.VALID
