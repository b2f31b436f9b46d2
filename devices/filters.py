import django_filters

from core.tenancy import TenantScopedFilterSet

from .models import Device


class DeviceFilter(TenantScopedFilterSet):
    version = django_filters.CharFilter(field_name="app_version")
    last_seen_before = django_filters.IsoDateTimeFilter(
        field_name="last_seen_at", lookup_expr="lte"
    )
    last_seen_after = django_filters.IsoDateTimeFilter(field_name="last_seen_at", lookup_expr="gte")
    hardware_id = django_filters.CharFilter()

    class Meta:
        model = Device
        fields = ["tenant", "license", "product", "channel", "status", "platform"]
