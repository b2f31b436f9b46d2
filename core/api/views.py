"""Base views of the node API: public (credentials in the request), authenticated nodes,
and the seeds' dialects (switchable, with the seed's error shape)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.views import APIView

from ..tasks import left_to_sweeps
from .authentication import NodeAuthentication
from .throttles import ScopedThrottle


class BrokerFreeMixin:
    """A node route: whatever it writes that a worker would send (webhook deliveries) is
    left to the beat sweeps, so the route never waits on, nor opens a connection to, the
    broker (see core.tasks.left_to_sweeps)."""

    def dispatch(self, request, *args, **kwargs):
        with left_to_sweeps():
            return super().dispatch(request, *args, **kwargs)


class PublicNodeView(BrokerFreeMixin, APIView):
    """A node endpoint that authenticates by what it is sent, not by session or token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "node"


class IsNode(BasePermission):
    """A node authenticated by NodeAuthentication (its principal says so)."""

    def has_permission(self, request, view):
        return getattr(request.user, "is_node", False)


class NodeView(BrokerFreeMixin, APIView):
    """Base of the authenticated node API: one authenticator (the function the devices app
    registers), one throttle per device."""

    authentication_classes = [NodeAuthentication]
    permission_classes = [IsNode]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "node"


class StatusCodeErrorsMixin:
    """Errors shaped `{statusCode, message, code}`: the seeds' NestJS-style clients read them."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        data = response.data if isinstance(response.data, dict) else {}
        response.data = {
            "statusCode": response.status_code,
            "message": data.get("message", ""),
            "code": data.get("code", "ERROR"),
        }
        if "errors" in data:
            response.data["errors"] = data["errors"]
        return response


def asks_for_a_language(request) -> bool:
    """Whether the client's Accept-Language names a language the project speaks."""
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            continue
        try:
            translation.get_supported_language_variant(code)
        except LookupError:
            continue
        return True
    return False


class DialectView(PublicNodeView):
    """A seed's route, served while its `dialect_setting` is on (404 otherwise), in the
    seed's `default_language` unless the client asks for one it names."""

    dialect_setting: str
    default_language: str | None = None

    def initial(self, request, *args, **kwargs):
        if self.default_language and not asks_for_a_language(request):
            translation.activate(self.default_language)
            request.LANGUAGE_CODE = self.default_language
        if not getattr(settings, self.dialect_setting):
            raise NotFound()
        super().initial(request, *args, **kwargs)
