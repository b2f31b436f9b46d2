"""Writes of the licensing domain. Each is atomic and records its event."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import model_update
from sync import events

from .codes import Code, message
from .keys import license_key_generate, secret_hash, token_display_prefix, token_generate
from .models import ApiToken, License, Policy, Product, Tenant, User

_UNSET = object()


@dataclass(frozen=True)
class IssuedLicense:
    license: License
    key: str  # shown once, never stored


def _license_payload(license: License) -> dict:
    return {"licenseId": license.pk, "keyPrefix": license.key_prefix, "status": license.status}


def _set_new_key(license: License) -> str:
    key = license_key_generate()
    license.key_hash = secret_hash(key)
    license.key_prefix = key[:8]
    return key


@transaction.atomic
def license_issue(
    *,
    tenant: Tenant,
    product: Product,
    policy: Policy,
    name: str = "",
    expires_at: datetime | None | object = _UNSET,
    updates_until: datetime | None | object = _UNSET,
    max_devices: int | None | object = _UNSET,
    max_validations: int | None | object = _UNSET,
) -> IssuedLicense:
    """Issue a license from a policy; explicit arguments override the policy's values."""
    now = timezone.now()
    license = License(tenant=tenant, product=product, policy=policy, name=name)
    license.expires_at = (
        (now + policy.duration if policy.duration else None) if expires_at is _UNSET else expires_at
    )
    if updates_until is _UNSET:
        updates_until = now + policy.maintenance_duration if policy.maintenance_duration else None
    license.updates_until = updates_until
    license.max_devices = policy.max_devices if max_devices is _UNSET else max_devices
    license.max_validations = (
        policy.max_validations if max_validations is _UNSET else max_validations
    )
    license.grace_period = policy.grace_period
    key = _set_new_key(license)
    license.full_clean()
    license.save()
    events.publish("license.created", tenant=tenant, payload=_license_payload(license))
    return IssuedLicense(license=license, key=key)


EDITABLE_FIELDS = {"name", "expires_at", "updates_until", "max_devices", "max_validations"}


@transaction.atomic
def license_update(*, license: License, **changes) -> License:
    model_update(license, editable=EDITABLE_FIELDS, changes=changes)
    events.publish("license.updated", tenant=license.tenant, payload=_license_payload(license))
    return license


def _set_status(license: License, status: str, event_type: str) -> License:
    with transaction.atomic():
        license.status = status
        license.full_clean()
        license.save(update_fields=["status"])
        events.publish(event_type, tenant=license.tenant, payload=_license_payload(license))
    return license


def license_suspend(*, license: License) -> License:
    if license.status == License.Status.REVOKED:
        raise ApiError("INVALID_TRANSITION", _("A revoked license cannot be suspended."), 409)
    return _set_status(license, License.Status.SUSPENDED, "license.suspended")


def license_reinstate(*, license: License) -> License:
    if license.status == License.Status.REVOKED:
        raise ApiError("INVALID_TRANSITION", _("A revoked license cannot be reinstated."), 409)
    return _set_status(license, License.Status.ACTIVE, "license.reinstated")


def license_revoke(*, license: License) -> License:
    return _set_status(license, License.Status.REVOKED, "license.revoked")


@transaction.atomic
def license_renew(*, license: License) -> License:
    """Extend by the policy's duration, from expiry or from now if already expired."""
    if not license.policy.duration:
        license.expires_at = None
    else:
        start = max(license.expires_at or timezone.now(), timezone.now())
        license.expires_at = start + license.policy.duration
    license.full_clean()
    license.save(update_fields=["expires_at"])
    events.publish("license.renewed", tenant=license.tenant, payload=_license_payload(license))
    return license


@transaction.atomic
def license_regenerate_key(*, license: License) -> str:
    key = _set_new_key(license)
    license.save(update_fields=["key_hash", "key_prefix"])
    events.publish(
        "license.key_regenerated", tenant=license.tenant, payload=_license_payload(license)
    )
    return key


@dataclass(frozen=True)
class Validation:
    code: Code
    license: License | None

    @property
    def valid(self) -> bool:
        return self.code == Code.VALID

    @property
    def message(self) -> str:
        return message(self.code)


def license_status_code(license: License, *, now=None) -> Code:
    """The code a license gets now, without counting: shared with device authentication."""
    now = now or timezone.now()
    if not license.tenant.is_active:
        return Code.TENANT_INACTIVE
    if license.status == License.Status.REVOKED:
        return Code.REVOKED
    if license.status == License.Status.SUSPENDED:
        return Code.SUSPENDED
    if license.expires_at and license.expires_at + license.grace_period < now:
        return Code.EXPIRED
    return Code.VALID


def license_validate(*, key: str, product: str | None = None) -> Validation:
    """Validate a key and count the validation; refuses past `max_validations`."""
    from .selectors import license_by_key

    license = license_by_key(key=key)
    if license is None:
        return Validation(Code.NOT_FOUND, None)
    code = license_status_code(license)
    if code == Code.VALID and product is not None and product != license.product.slug:
        code = Code.PRODUCT_MISMATCH
    if code != Code.VALID:
        return Validation(code, license)
    now = timezone.now()
    # One conditional UPDATE: concurrent validations neither lose counts nor pass the limit.
    under_limit = Q(max_validations__isnull=True) | Q(validation_count__lt=F("max_validations"))
    updated = License.objects.filter(under_limit, pk=license.pk).update(
        validation_count=F("validation_count") + 1, last_validated_at=now
    )
    if not updated:
        return Validation(Code.USAGE_LIMIT_EXCEEDED, license)
    license.validation_count += 1
    license.last_validated_at = now
    return Validation(Code.VALID, license)


@dataclass(frozen=True)
class IssuedToken:
    api_token: ApiToken
    token: str  # shown once


@transaction.atomic
def api_token_create(*, user: User, name: str = "", expires_at=None) -> IssuedToken:
    token = token_generate("rlt")
    api_token = ApiToken(
        user=user,
        name=name,
        token_hash=secret_hash(token),
        prefix=token_display_prefix(token),
        expires_at=expires_at,
    )
    api_token.full_clean()
    api_token.save()
    events.publish(
        "api_token.created",
        tenant=user.tenant,
        payload={"user": user.username, "prefix": api_token.prefix},
    )
    return IssuedToken(api_token=api_token, token=token)


def api_token_revoke(*, api_token: ApiToken) -> ApiToken:
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    return api_token
