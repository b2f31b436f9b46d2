"""`GET /api/v1/keys`: the public keys that verify Relais's signatures, JWK-style."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ..exceptions import ApiError
from ..signatures import keyring
from .views import PublicNodeView

_JWK = inline_serializer(
    "SigningKey",
    {
        "kid": serializers.CharField(),
        "kty": serializers.CharField(),
        "crv": serializers.CharField(),
        "alg": serializers.CharField(),
        "use": serializers.CharField(),
        "x": serializers.CharField(help_text="Raw 32-byte public key, base64url"),
        "notBefore": serializers.DateTimeField(allow_null=True),
        "notAfter": serializers.DateTimeField(allow_null=True),
    },
)


def published_keys() -> list[dict]:
    ring = keyring()
    return [key.jwk() for key in ring.published()] if ring else []


class KeysView(PublicNodeView):
    """The current key first, then earlier ones until their `notAfter` (a rotation's
    overlap). Empty when signing is off. Clients may cache it; an unknown `kid` is their
    cue to fetch it again."""

    @extend_schema(
        operation_id="signing_keys_list",
        responses=inline_serializer("SigningKeys", {"keys": serializers.ListField(child=_JWK)}),
    )
    def get(self, request):
        return Response({"keys": published_keys()})


class KeyView(PublicNodeView):
    """`GET /api/v1/keys/<kid>`: one published key, or 404 `UNKNOWN_KID`."""

    @extend_schema(operation_id="signing_key_retrieve", responses=_JWK)
    def get(self, request, kid):
        for key in published_keys():
            if key["kid"] == kid:
                return Response(key)
        raise ApiError(
            "UNKNOWN_KID",
            _("No published signing key has the id %(kid)s.") % {"kid": kid[:64]},
            404,
        )
