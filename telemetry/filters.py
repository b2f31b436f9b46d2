import django_filters

from core.api.filters import StrictBooleanFilter
from core.tenancy import TenantScopedFilterSet

from .models import Alert, AlertRule, TelemetryReport


class AlertFilter(TenantScopedFilterSet):
    opened_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lte")
    acknowledged = StrictBooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Alert
        fields = ["tenant", "device", "metric", "severity", "status"]


class AlertRuleFilter(TenantScopedFilterSet):
    class Meta:
        model = AlertRule
        fields = ["tenant", "product", "metric", "is_enabled"]


class TelemetryReportFilter(TenantScopedFilterSet):
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = TelemetryReport
        fields = ["device", "kind"]
