from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from core.api.viewsets import (
    ManagementViewSet,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceUpdateMixin,
)
from licensing.models import Tenant

from ..filters import RecipientFilter
from ..models import Kind, Recipient
from ..services import recipients as services


class RecipientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Recipient
        fields = [
            "id",
            "tenant",
            "email",
            "name",
            "kinds",
            "is_active",
            "unsubscribed_at",
            "last_sent_at",
            "created_at",
        ]
        read_only_fields = fields


def _kinds():
    return serializers.ListField(
        child=serializers.ChoiceField(Kind.choices), required=False, max_length=len(Kind.values)
    )


class RecipientUpdateInput(StrictSerializer):
    email = serializers.EmailField(max_length=254, required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kinds = _kinds()
    is_active = serializers.BooleanField(required=False)


class RecipientCreateInput(RecipientUpdateInput):
    tenant = serializers.PrimaryKeyRelatedField(
        queryset=Tenant.objects.all(),
        required=False,
        allow_null=True,
        help_text="Platform staff: the tenant, or null for a platform recipient.",
    )
    email = serializers.EmailField(max_length=254)

    def to_internal_value(self, data):
        if hasattr(data, "get") and data.get("tenant") == "":  # null means the platform's
            raise serializers.ValidationError({"tenant": ["A tenant id, or null."]})
        return super().to_internal_value(data)


@extend_schema_view(
    create=extend_schema(request=RecipientCreateInput, responses={201: RecipientSerializer}),
    update=extend_schema(request=RecipientUpdateInput),
    partial_update=extend_schema(request=RecipientUpdateInput),
)
class RecipientViewSet(
    ServiceCreateMixin, ServiceUpdateMixin, ServiceDestroyMixin, ManagementViewSet
):
    """People emailed a digest of their tenant's alerts, expiring licenses, halted rollouts
    and bursts of failed updates (platform staff: no tenant, told about events of none).
    `unsubscribed_at` is the person's own choice, through their link; staff cannot undo it."""

    queryset = Recipient.objects.select_related("tenant")
    serializer_class = RecipientSerializer
    filterset_class = RecipientFilter
    create_input, create_service = RecipientCreateInput, staticmethod(services.recipient_create)
    update_input, update_service = RecipientUpdateInput, staticmethod(services.recipient_update)
    destroy_service = staticmethod(services.recipient_delete)
