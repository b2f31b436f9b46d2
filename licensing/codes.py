"""Machine-readable validation codes and their human messages (translated)."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


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
