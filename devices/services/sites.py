"""NEOPRO sites: a site is a device whose profile sits in `metadata["site"]` and whose
`SITE_API_KEY` (32 random bytes, hex) is its token, stored as the same peppered HMAC as
every other key. Registration and resync are done by a staff user with email and password
(the seed's `register-site` and `resync` scripts)."""

import re
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.locks import advisory_xact_lock
from core.services import events
from licensing.codes import Code, license_refusal, license_status_code
from licensing.keys import secret_hash
from licensing.models import License, Product
from licensing.selectors import license_by_key

from ..models import Device
from .devices import seat_available

SITE_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
# The seed's site.conf names, in the order its register script writes them.
PROFILE_FIELDS = {
    "siteName": "SITE_NAME",
    "clubName": "CLUB_NAME",
    "locationCity": "LOCATION_CITY",
    "locationRegion": "LOCATION_REGION",
    "locationCountry": "LOCATION_COUNTRY",
    "sports": "SPORTS",
    "hardwareModel": "HARDWARE_MODEL",
}


@dataclass(frozen=True)
class SiteKey:
    site: Device
    api_key: str  # shown once


def site_key_generate() -> str:
    return secrets.token_hex(32)


def site_key_is_well_formed(key) -> bool:
    return isinstance(key, str) and bool(SITE_KEY_RE.match(key))


def is_site(device: Device) -> bool:
    return isinstance(device.metadata, dict) and isinstance(device.metadata.get("site"), dict)


def site_config(site: Device, api_key: str) -> dict:
    """What the agent writes to /etc/neopro/site.conf."""
    profile = site.metadata.get("site", {})
    config = {"SITE_ID": str(site.pk), "SITE_API_KEY": api_key}
    for name, variable in PROFILE_FIELDS.items():
        value = profile.get(name, "")
        config[variable] = ",".join(value) if isinstance(value, list) else value
    return config


# --- Staff credentials -------------------------------------------------------------------


def staff_by_credentials(*, email: str, password: str):
    """The active staff user with this email and password, or None. An unknown email costs
    one password hash like a known one, so timing does not tell them apart."""
    users = list(
        get_user_model().objects.filter(email__iexact=email, is_active=True, is_staff=True)[:5]
    )
    for user in users:
        if user.check_password(password):
            return user
    if not users:
        get_user_model()().set_password(password)
    return None


def _bad_credentials() -> ApiError:
    return ApiError("INVALID_CREDENTIALS", _("Invalid email or password."), 401)


def _staff(email: str, password: str, permission: str):
    user = staff_by_credentials(email=email, password=password)
    if user is None:
        raise _bad_credentials()
    if not user.has_perm(permission):
        raise ApiError("PERMISSION_DENIED", _("This account may not manage sites."), 403)
    return user


# --- Registration ------------------------------------------------------------------------


def _site_product(slug: str | None) -> Product:
    slug = slug or settings.RELAIS_NEOPRO_PRODUCT
    product = Product.objects.filter(slug=slug, is_active=True).first()
    if product is None:
        raise ApiError("UNKNOWN_PRODUCT", _("No active product %(slug)s.") % {"slug": slug}, 400)
    return product


def _site_license(user, *, tenant_id, product: Product, license_key: str | None) -> License:
    """The license the site takes a seat of: the one whose key is given, else the tenant's
    first valid license of the product with a free seat."""
    own = getattr(user, "tenant_id", None)
    if own is not None:
        if tenant_id and str(tenant_id) != str(own):
            raise ApiError("UNKNOWN_TENANT", _("No such tenant."), 400)
        tenant_id = own
    if license_key:
        found = license_by_key(key=license_key)
        if found is None or (tenant_id and str(found.tenant_id) != str(tenant_id)):
            raise license_refusal(Code.NOT_FOUND)
        code = license_status_code(found, product=product.slug)
        if code != Code.VALID:
            raise license_refusal(code)
        return found
    if not tenant_id:
        raise ApiError("TENANT_REQUIRED", _("Platform staff name the site's tenant."), 400)
    candidates = License.objects.select_related("tenant", "product", "policy").filter(
        tenant_id=tenant_id, product=product, status=License.Status.ACTIVE
    )
    valid = [lic for lic in candidates if license_status_code(lic) == Code.VALID]
    if not valid:
        raise ApiError("NO_LICENSE", _("The tenant holds no valid license for this product."), 400)
    for license in valid:
        if seat_available(license):
            return license
    raise license_refusal(Code.TOO_MANY_DEVICES)


def site_register(
    *,
    email: str,
    password: str,
    profile: dict,
    tenant=None,
    product: str | None = None,
    license_key: str | None = None,
    hardware_id: str = "",
) -> SiteKey:
    """Create a site (a device holding a seat) and its API key, shown once."""
    user = _staff(email, password, "devices.add_device")
    product_row = _site_product(product)
    try:
        tenant_id = uuid.UUID(str(tenant)) if tenant else None
    except ValueError:
        raise ApiError("UNKNOWN_TENANT", _("No such tenant."), 400) from None
    found = _site_license(user, tenant_id=tenant_id, product=product_row, license_key=license_key)
    site_id = uuid.uuid4()
    hardware_id = hardware_id or str(site_id)
    key = site_key_generate()
    with transaction.atomic():
        license = License.objects.select_for_update().get(pk=found.pk)
        advisory_xact_lock("device", license.tenant_id, license.product_id, hardware_id)
        if not seat_available(license):
            raise license_refusal(Code.TOO_MANY_DEVICES)
        taken = Device.objects.filter(
            tenant_id=license.tenant_id, product_id=license.product_id, hardware_id=hardware_id
        ).exists()
        if taken:
            raise ApiError("HARDWARE_ID_TAKEN", _("This hardware id is already registered."), 409)
        site = Device(
            id=site_id,
            tenant_id=license.tenant_id,
            license=license,
            product_id=license.product_id,
            hardware_id=hardware_id,
            name=profile.get("siteName", ""),
            metadata={"site": profile},
            token_hash=secret_hash(key),
            token_prefix=key[:8],
            last_seen_at=timezone.now(),
        )
        site.full_clean(validate_unique=False)
        site.save(force_insert=True)
        events.publish(
            "site.registered",
            tenant=site.tenant,
            payload={"siteId": site.pk, "siteName": site.name, "licenseId": license.pk},
            actor=user,
        )
    return SiteKey(site=site, api_key=key)


def site_resync(*, email: str, password: str, site_id) -> SiteKey:
    """A new API key for the site; the old one stops working at once. Another tenant's
    site answers like one that does not exist."""
    user = _staff(email, password, "devices.change_device")
    missing = ApiError("SITE_NOT_FOUND", _("Site non trouvé: %(id)s") % {"id": site_id}, 404)
    try:
        site_uuid = uuid.UUID(str(site_id))
    except ValueError:
        raise missing from None
    key = site_key_generate()
    with transaction.atomic():
        site = (
            Device.objects.for_user(user, write=True)
            .select_for_update()
            .filter(pk=site_uuid)
            .first()
        )
        if site is None or not is_site(site):
            raise missing
        if not site.is_active:
            raise ApiError("SITE_INACTIVE", _("This site is deactivated."), 409)
        site.token_hash = secret_hash(key)
        site.token_prefix = key[:8]
        site.save(update_fields=["token_hash", "token_prefix"])
        events.publish(
            "site.key_rotated",
            tenant=site.tenant,
            payload={"siteId": site.pk, "siteName": site.name, "licenseId": site.license_id},
            actor=user,
        )
    return SiteKey(site=site, api_key=key)


# --- Agent authentication (Socket.IO `authenticate`, HTTP Bearer) -------------------------


class SiteAuthError(Exception):
    """A refusal with the seed's French message (its agent prints it as is)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def site_authenticate(*, site_id, api_key) -> Device:
    """The active site `site_id` if `api_key` is its key, with license and tenant loaded;
    else SiteAuthError with the seed's message."""
    if not site_id or not api_key:
        raise SiteAuthError("MISSING_CREDENTIALS", "Identifiants manquants")
    try:
        site_uuid = uuid.UUID(str(site_id))
    except (ValueError, TypeError, AttributeError):
        raise SiteAuthError("SITE_NOT_FOUND", f"Site non trouvé: {site_id}") from None
    site = Device.objects.select_related("license", "tenant").filter(pk=site_uuid).first()
    if site is None or not is_site(site):
        raise SiteAuthError("SITE_NOT_FOUND", f"Site non trouvé: {site_id}")
    if not isinstance(api_key, str) or not site.token_hash or not site.is_active:
        raise SiteAuthError("INVALID_API_KEY", "Clé API invalide")
    if not secrets.compare_digest(site.token_hash, secret_hash(api_key)):
        raise SiteAuthError("INVALID_API_KEY", "Clé API invalide")
    site.license.tenant = site.tenant
    code = license_status_code(site.license)
    if code != Code.VALID:
        raise SiteAuthError(code, str(license_refusal(code).message))
    return site
