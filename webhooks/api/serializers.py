from rest_framework import serializers

from core.api.serializers import StrictSerializer
from licensing.models import Tenant

from ..models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "tenant",
            "url",
            "description",
            "event_types",
            "is_active",
            "failing_since",
            "last_success_at",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointUpdateInput(StrictSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100, required=False
    )


class WebhookEndpointInput(WebhookEndpointUpdateInput):
    url = serializers.URLField(max_length=2000)
    tenant = serializers.PrimaryKeyRelatedField(
        queryset=Tenant.objects.all(), required=False, allow_null=True, default=None
    )


class WebhookEndpointWithSecret(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    webhook_id = serializers.CharField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "endpoint",
            "event",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_status",
            "response_body",
            "duration_ms",
            "error",
            "created_at",
        ]
        read_only_fields = fields
