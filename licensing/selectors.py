"""Reads of the licensing domain worth naming."""

from django.utils import timezone

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
