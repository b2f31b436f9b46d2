"""Publishable keys (`rlp_…`): a public frontend's read credential, sent as
`Authorization: Bearer rlp_…` (or `?key=rlp_…`, for a page that cannot set a header)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from core.api.authentication import bearer_token
from core.api.throttles import auth_failure_record, auth_failures_guard, auth_success_record
from core.exceptions import ApiError

from ..models import PublishableKey
from ..selectors import PUBLISHABLE_PREFIX, origin_allowed, publishable_key_by_key


@dataclass(frozen=True)
class PublishableReader:
    """Who reads with a publishable key: its tenant's named documents, nothing else."""

    key: PublishableKey
    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_node = False
    is_publishable = True
    pk = None

    @property
    def tenant_id(self):
        return self.key.tenant_id

    def reads(self, name: str) -> bool:
        return name in self.key.documents

    def has_perms(self, perms) -> bool:
        return False

    def __str__(self):
        return f"publishable key {self.key.prefix}…"


def origin_refusal() -> ApiError:
    return ApiError(
        "ORIGIN_NOT_ALLOWED",
        _("This key is not accepted from this origin: its tenant must declare it."),
        403,
    )


class PublishableKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        key = bearer_token(request)
        if key is None:
            key = request.query_params.get("key")
        if not key or not key.startswith(PUBLISHABLE_PREFIX):
            return None
        auth_failures_guard(request, key)
        found = publishable_key_by_key(key=key)
        if found is None:
            auth_failure_record(request, key)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked publishable key."))
        origin = request.headers.get("Origin")
        if origin and not origin_allowed(origin, tenant_id=found.tenant_id):
            raise origin_refusal()
        auth_success_record(key)
        return PublishableReader(found), found

    def authenticate_header(self, request):
        return "Bearer"
