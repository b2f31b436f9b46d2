"""Writes of the licensing domain. Each is atomic, takes the acting user (`actor`, None for
the system, a device or a task) and records its event; an update that changes nothing
saves nothing and records nothing."""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.language import tenant_language_forget
from core.services import events
from core.services.changes import model_update

from .codes import Code, license_status_code, message
from .keys import license_key_generate, secret_hash, token_display_prefix, token_generate
from .models import ApiToken, License, Policy, Product, Tenant, User


class _Unset(Enum):
    """An argument not given (None is a value: no expiry, no limit)."""

    UNSET = "unset"


_UNSET: Final = _Unset.UNSET


# --- Tenants, products, policies --------------------------------------------------------


def _tenant_payload(tenant: Tenant) -> dict:
    return {"tenantId": tenant.pk, "slug": tenant.slug, "isActive": tenant.is_active}


@transaction.atomic
def tenant_create(
    *, actor=None, name: str, slug: str, is_active: bool = True, language: str | None = None
) -> Tenant:
    tenant = Tenant(name=name, slug=slug, is_active=is_active)
    if language is not None:
        tenant.language = language
    tenant.full_clean()
    tenant.save()
    events.publish("tenant.created", tenant=tenant, payload=_tenant_payload(tenant), actor=actor)
    return tenant


TENANT_EDITABLE = {"name", "slug", "language"}


@transaction.atomic
def tenant_update(*, tenant: Tenant, actor=None, **changes) -> Tenant:
    _, changed = model_update(tenant, editable=TENANT_EDITABLE, changes=changes)
    if "language" in changed:
        tenant_language_forget(tenant.pk)
    if changed:
        payload = _tenant_payload(tenant) | {"changed": changed}
        events.publish("tenant.updated", tenant=tenant, payload=payload, actor=actor)
    return tenant


def _set_active(row, active: bool, event_type: str, *, tenant, payload, actor):
    """Switch `is_active`; a switch to the state the row is in records nothing."""
    with transaction.atomic():
        if row.is_active == active:
            return row
        row.is_active = active
        row.save(update_fields=["is_active"])
        events.publish(event_type, tenant=tenant, payload=payload(row), actor=actor)
    return row


def tenant_deactivate(*, tenant: Tenant, actor=None) -> Tenant:
    """The platform switches a customer off: its licenses stop validating."""
    return _set_active(
        tenant,
        False,
        "tenant.deactivated",
        tenant=tenant,
        payload=_tenant_payload,
        actor=actor,
    )


def tenant_activate(*, tenant: Tenant, actor=None) -> Tenant:
    return _set_active(
        tenant, True, "tenant.activated", tenant=tenant, payload=_tenant_payload, actor=actor
    )


def _product_payload(product: Product) -> dict:
    return {"productId": product.pk, "slug": product.slug, "isActive": product.is_active}


@transaction.atomic
def product_create(
    *,
    actor=None,
    slug: str,
    name: str,
    distribution: str = Product.Distribution.LICENSED,
    allowed_commands: list | None = None,
) -> Product:
    product = Product(slug=slug, name=name, distribution=distribution)
    if allowed_commands is not None:
        product.allowed_commands = allowed_commands
    product.full_clean()
    product.save()
    events.publish("product.created", payload=_product_payload(product), actor=actor)
    return product


PRODUCT_EDITABLE = {"name", "slug", "distribution", "allowed_commands"}


@transaction.atomic
def product_update(*, product: Product, actor=None, **changes) -> Product:
    _, changed = model_update(product, editable=PRODUCT_EDITABLE, changes=changes)
    if changed:
        payload = _product_payload(product) | {"changed": changed}
        events.publish("product.updated", payload=payload, actor=actor)
    return product


def product_manifest_serial_bump(*, product_id) -> None:
    """Raise the serial of the product's signed update manifests, in the caller's
    transaction (releases.services calls it with every release or artifact change). One
    UPDATE: concurrent changes each get their own increment. No event of its own: the
    change that caused it records one."""
    Product.objects.filter(pk=product_id).update(manifest_serial=F("manifest_serial") + 1)


def product_deactivate(*, product: Product, actor=None) -> Product:
    """Retire a product: no new policy, license or release; what exists keeps working."""
    return _set_active(
        product, False, "product.deactivated", tenant=None, payload=_product_payload, actor=actor
    )


def product_activate(*, product: Product, actor=None) -> Product:
    return _set_active(
        product, True, "product.activated", tenant=None, payload=_product_payload, actor=actor
    )


def _refuse_inactive(row, what: str) -> None:
    if not row.is_active:
        raise ApiError(
            "INACTIVE",
            _("%(what)s %(name)s is deactivated.") % {"what": what, "name": row},
            409,
        )


def _policy_payload(policy: Policy) -> dict:
    return {
        "policyId": policy.pk,
        "productId": policy.product_id,
        "name": policy.name,
        "isActive": policy.is_active,
    }


POLICY_FIELDS = {
    "name",
    "max_devices",
    "duration",
    "max_validations",
    "heartbeat_window",
    "grace_period",
    "maintenance_duration",
    "entitlements",
    "offline_validity",
}


@transaction.atomic
def policy_create(*, actor=None, product: Product, name: str, **fields) -> Policy:
    _refuse_inactive(product, _("Product"))
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ApiError("NOT_EDITABLE", _("Not editable: %(fields)s") % {"fields": unknown})
    policy = Policy(product=product, name=name, **fields)
    policy.full_clean()
    policy.save()
    events.publish("policy.created", payload=_policy_payload(policy), actor=actor)
    return policy


@transaction.atomic
def policy_update(*, policy: Policy, actor=None, **changes) -> Policy:
    """Changes apply to licenses issued afterwards (a license copies its limits at issue),
    except `heartbeat_window` and `entitlements`, which are read from the policy."""
    _, changed = model_update(policy, editable=POLICY_FIELDS, changes=changes)
    if changed:
        payload = _policy_payload(policy) | {"changed": changed}
        events.publish("policy.updated", payload=payload, actor=actor)
    return policy


def policy_deactivate(*, policy: Policy, actor=None) -> Policy:
    """No new license is issued from a deactivated policy; issued ones keep working."""
    return _set_active(
        policy, False, "policy.deactivated", tenant=None, payload=_policy_payload, actor=actor
    )


def policy_activate(*, policy: Policy, actor=None) -> Policy:
    return _set_active(
        policy, True, "policy.activated", tenant=None, payload=_policy_payload, actor=actor
    )


# --- Licenses ---------------------------------------------------------------------------


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
    actor=None,
    tenant: Tenant,
    policy: Policy,
    name: str = "",
    expires_at: datetime | None | _Unset = _UNSET,
    updates_until: datetime | None | _Unset = _UNSET,
    max_devices: int | None | _Unset = _UNSET,
    max_validations: int | None | _Unset = _UNSET,
) -> IssuedLicense:
    """Issue a license of the policy's product; explicit arguments override the policy's
    values."""
    _refuse_inactive(policy, _("Policy"))
    _refuse_inactive(policy.product, _("Product"))
    now = timezone.now()
    license = License(tenant=tenant, product=policy.product, policy=policy, name=name)
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
    events.publish("license.created", tenant=tenant, payload=_license_payload(license), actor=actor)
    return IssuedLicense(license=license, key=key)


EDITABLE_FIELDS = {"name", "expires_at", "updates_until", "max_devices", "max_validations"}


@transaction.atomic
def license_update(*, license: License, actor=None, **changes) -> License:
    _, changed = model_update(license, editable=EDITABLE_FIELDS, changes=changes)
    if changed:
        payload = _license_payload(license) | {"changed": changed}
        events.publish("license.updated", tenant=license.tenant, payload=payload, actor=actor)
    return license


def _set_status(license: License, status: str, event_type: str, actor) -> License:
    with transaction.atomic():
        if license.status == status:
            return license
        license.status = status
        license.full_clean()
        license.save(update_fields=["status"])
        events.publish(
            event_type, tenant=license.tenant, payload=_license_payload(license), actor=actor
        )
    return license


def license_suspend(*, license: License, actor=None) -> License:
    if license.status == License.Status.REVOKED:
        raise ApiError("INVALID_TRANSITION", _("A revoked license cannot be suspended."), 409)
    return _set_status(license, License.Status.SUSPENDED, "license.suspended", actor)


def license_reinstate(*, license: License, actor=None) -> License:
    if license.status == License.Status.REVOKED:
        raise ApiError("INVALID_TRANSITION", _("A revoked license cannot be reinstated."), 409)
    return _set_status(license, License.Status.ACTIVE, "license.reinstated", actor)


def license_revoke(*, license: License, actor=None) -> License:
    return _set_status(license, License.Status.REVOKED, "license.revoked", actor)


@transaction.atomic
def license_renew(*, license: License, actor=None) -> License:
    """Extend by the policy's duration, from expiry or from now if already expired."""
    if not license.policy.duration:
        expires_at = None
    else:
        start = max(license.expires_at or timezone.now(), timezone.now())
        expires_at = start + license.policy.duration
    if expires_at == license.expires_at:
        return license
    license.expires_at = expires_at
    license.full_clean()
    license.save(update_fields=["expires_at"])
    events.publish(
        "license.renewed", tenant=license.tenant, payload=_license_payload(license), actor=actor
    )
    return license


@transaction.atomic
def license_regenerate_key(*, license: License, actor=None) -> str:
    key = _set_new_key(license)
    license.save(update_fields=["key_hash", "key_prefix"])
    events.publish(
        "license.key_regenerated",
        tenant=license.tenant,
        payload=_license_payload(license),
        actor=actor,
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


def license_validate(*, key: str, product: str | None = None) -> Validation:
    """Validate a key and count the validation; refuses past `max_validations`."""
    from .selectors import license_by_key

    license = license_by_key(key=key)
    if license is None:
        return Validation(Code.NOT_FOUND, None)
    code = license_status_code(license, product=product)
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


# --- API tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    api_token: ApiToken
    token: str  # shown once


def _token_payload(api_token: ApiToken) -> dict:
    return {"user": api_token.user.username, "prefix": api_token.prefix}


@transaction.atomic
def api_token_create(
    *, user: User, actor=None, name: str = "", expires_at=None, default_tenant=None
) -> IssuedToken:
    """A new token of `user`, shown once. `default_tenant`: the tenant a platform staff
    token addresses when a request names none (a tenant staff token is its tenant's)."""
    if default_tenant is not None and user.tenant_id not in (None, default_tenant.pk):
        raise ApiError(
            "TENANT_NOT_FOUND", _("A tenant staff token addresses its own tenant only."), 404
        )
    token = token_generate("rlt")
    api_token = ApiToken(
        user=user,
        name=name,
        token_hash=secret_hash(token),
        prefix=token_display_prefix(token),
        expires_at=expires_at,
        default_tenant=default_tenant,
    )
    api_token.full_clean()
    api_token.save()
    events.publish(
        "api_token.created", tenant=user.tenant, payload=_token_payload(api_token), actor=actor
    )
    return IssuedToken(api_token=api_token, token=token)


@transaction.atomic
def api_token_revoke(*, api_token: ApiToken, actor=None) -> ApiToken:
    if api_token.revoked_at is not None:
        return api_token
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    events.publish(
        "api_token.revoked",
        tenant=api_token.user.tenant,
        payload=_token_payload(api_token),
        actor=actor,
    )
    return api_token


# How often a token's use is written down: once a minute is enough to see it is alive.
API_TOKEN_TOUCH_SECONDS = 60


def api_token_touch(*, api_token: ApiToken, now=None) -> None:
    """Record the token's use, at most once a minute (no event: it is not a change)."""
    now = now or timezone.now()
    last = api_token.last_used_at
    if last and (now - last).total_seconds() <= API_TOKEN_TOUCH_SECONDS:
        return
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    api_token.last_used_at = now


# --- Roles ------------------------------------------------------------------------------


def tenant_staff_group():
    """Create or refresh the tenant staff group with its permissions; idempotent."""
    from django.contrib.auth.models import Group, Permission

    from .roles import TENANT_STAFF_GROUP, TENANT_STAFF_PERMISSIONS

    group, _created = Group.objects.get_or_create(name=TENANT_STAFF_GROUP)
    perms = []
    for label in TENANT_STAFF_PERMISSIONS:
        app_label, codename = label.split(".")
        perms += Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    group.permissions.set(perms)
    return group
