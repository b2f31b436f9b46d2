"""Reads of the licensing domain worth naming."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError

from .codes import Code, license_refusal, license_status_code
from .keys import license_key_is_well_formed, license_key_normalize, secret_hash
from .models import ApiToken, License


def license_by_key(*, key: str) -> License | None:
    """The license a clear key designates, with tenant, product and policy, in one query."""
    if not key or not license_key_is_well_formed(key):
        return None
    return (
        License.objects.select_related("tenant", "product", "policy")
        .filter(key_hash=secret_hash(license_key_normalize(key)))
        .first()
    )


def api_token_by_token(*, token: str) -> ApiToken | None:
    api_token = (
        ApiToken.objects.select_related("user", "user__tenant")
        .filter(token_hash=secret_hash(token), revoked_at__isnull=True)
        .first()
    )
    if api_token is None or (api_token.expires_at and api_token.expires_at < timezone.now()):
        return None
    return api_token


def tenant_node_license(tenant_id, *, product_slug: str | None = None, product_id=None) -> License:
    """The tenant's license a node that names only its tenant runs under (the CyberSensei
    dialect): its only valid one, or the product's. An unknown tenant and one without
    licenses look the same. Refusals in the seed's shape."""
    licenses = list(License.objects.select_related("tenant", "product").filter(tenant_id=tenant_id))
    if not licenses:
        raise ApiError("TENANT_NOT_FOUND", _("Unknown tenant."), 404)
    if product_slug or product_id:
        licenses = [
            lic
            for lic in licenses
            if lic.product.slug == product_slug or lic.product_id == product_id
        ]
        if not licenses:
            raise license_refusal(Code.PRODUCT_MISMATCH, seed=True)
    codes = {lic.pk: license_status_code(lic) for lic in licenses}
    valid = [lic for lic in licenses if codes[lic.pk] == Code.VALID]
    if not valid:
        code = codes[licenses[0].pk]  # the newest license says why
        raise license_refusal(code, seed=True)
    served = settings.RELAIS_CYBERSENSEI_PRODUCT
    if len({lic.product_id for lic in valid}) > 1 and served:
        valid = [lic for lic in valid if lic.product.slug == served] or valid
    if len({lic.product_id for lic in valid}) > 1:
        raise ApiError("PRODUCT_REQUIRED", _("This tenant has several products: name one."), 400)
    return valid[0]
