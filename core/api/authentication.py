"""What every authentication class of the project shares."""

from rest_framework import authentication


def bearer_token(request, *, keywords=("Bearer",)) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    header = authentication.get_authorization_header(request).decode("latin-1").split()
    if len(header) != 2 or header[0] not in keywords:
        return None
    return header[1]


# The function that finds a node by its credentials (registered by the app that owns
# devices, in its AppConfig.ready: core imports no domain).
_node_authenticate = None


def node_authenticator_register(authenticate) -> None:
    """`authenticate(request)` → `(principal, auth)`, None when the request carries no node
    credential, or raises the refusal."""
    global _node_authenticate
    _node_authenticate = authenticate


class NodeAuthentication(authentication.BaseAuthentication):
    """Every node route's one authenticator: a device token, a license key (with the
    device's hardware id), or a NEOPRO site key, as the registered function reads them."""

    def authenticate(self, request):
        if _node_authenticate is None:
            raise RuntimeError("no node authenticator registered (the devices app is missing)")
        return _node_authenticate(request)

    def authenticate_header(self, request):
        return "Bearer"
