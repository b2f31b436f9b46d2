from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.pagination import CursorPagination

from core.api.viewsets import (
    ManagementViewSet,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceUpdateMixin,
    service_action,
)

from ..filters import AlertFilter, AlertRuleFilter, TelemetryReportFilter
from ..models import Alert, AlertRule, TelemetryReport
from ..services import staff as services


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "tenant",
            "device",
            "metric",
            "severity",
            "status",
            "value",
            "threshold",
            "opened_at",
            "escalated_at",
            "resolved_at",
            "resolution",
            "acknowledged_at",
            "acknowledged_by",
        ]
        read_only_fields = fields


class AlertRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = [
            "id",
            "tenant",
            "product",
            "metric",
            "warning",
            "critical",
            "margin",
            "is_enabled",
            "created_at",
        ]
        read_only_fields = fields


class AlertRuleCreateInput(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = ["tenant", "product", "metric", "warning", "critical", "margin", "is_enabled"]
        validators = []  # the service's full_clean() checks the constraints

    def to_internal_value(self, data):
        if hasattr(data, "get") and data.get("tenant") == "":  # null means every tenant
            raise serializers.ValidationError({"tenant": ["A tenant id, or null."]})
        return super().to_internal_value(data)


class AlertRuleUpdateInput(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = ["warning", "critical", "margin", "is_enabled"]


class TelemetryReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = TelemetryReport
        fields = [
            "id",
            "tenant",
            "device",
            "kind",
            "received_at",
            "reported_at",
            "uptime",
            "version",
            "metrics",
        ]
        read_only_fields = fields


class AlertViewSet(ManagementViewSet):
    """Opened and resolved by ingest and the offline sweep; staff acknowledge or resolve."""

    queryset = Alert.objects.select_related("device")
    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    acknowledge = service_action(
        services.alert_acknowledge,
        name="acknowledge",
        description="Someone is on it; the alert stays open.",
    )
    resolve = service_action(
        services.alert_resolve, name="resolve", description="Resolve the alert by hand."
    )


@extend_schema_view(
    create=extend_schema(request=AlertRuleCreateInput, responses={201: AlertRuleSerializer}),
    update=extend_schema(request=AlertRuleUpdateInput),
    partial_update=extend_schema(request=AlertRuleUpdateInput),
)
class AlertRuleViewSet(
    ServiceCreateMixin, ServiceUpdateMixin, ServiceDestroyMixin, ManagementViewSet
):
    """Thresholds overriding the built-in ones, per tenant and product (platform staff may
    write rules for every tenant: no tenant)."""

    queryset = AlertRule.objects.select_related("tenant", "product")
    serializer_class = AlertRuleSerializer
    filterset_class = AlertRuleFilter
    create_input, create_service = AlertRuleCreateInput, staticmethod(services.alert_rule_create)
    update_input, update_service = AlertRuleUpdateInput, staticmethod(services.alert_rule_update)
    destroy_service = staticmethod(services.alert_rule_delete)


class NewestFirst(CursorPagination):
    ordering = "-id"  # no COUNT(*) over millions of rows


@extend_schema_view(
    list=extend_schema(
        responses={
            200: TelemetryReportSerializer(many=True),
            404: OpenApiResponse(description="Invalid cursor."),
        }
    )
)
class TelemetryReportViewSet(ManagementViewSet):
    queryset = TelemetryReport.objects.all()
    serializer_class = TelemetryReportSerializer
    filterset_class = TelemetryReportFilter
    pagination_class = NewestFirst
