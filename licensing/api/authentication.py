from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from core.api.authentication import bearer_token
from core.api.throttles import auth_failure_record, auth_failures_guard, auth_success_record

from ..selectors import api_token_by_token
from ..services import api_token_touch


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer rlt_…` (or `Token rlt_…`): a user's management API token."""

    def authenticate(self, request):
        token = bearer_token(request, keywords=("Bearer", "Token"))
        if not token or not token.startswith("rlt_"):
            return None
        auth_failures_guard(request, token)
        api_token = api_token_by_token(token=token)
        if api_token is None or not api_token.user.is_active:
            auth_failure_record(request, token)
            raise exceptions.AuthenticationFailed(_("Invalid or expired API token."))
        auth_success_record(token)
        api_token_touch(api_token=api_token)
        return api_token.user, api_token

    def authenticate_header(self, request):
        return "Bearer"
