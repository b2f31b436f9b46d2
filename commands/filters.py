import django_filters

from core.tenancy import TenantScopedFilterSet

from .models import DeviceCommand, MediaVideo, SiteVideo


class DeviceCommandFilter(TenantScopedFilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = DeviceCommand
        fields = ["tenant", "device", "type", "status", "release"]


class MediaVideoFilter(TenantScopedFilterSet):
    class Meta:
        model = MediaVideo
        fields = ["tenant", "category", "subcategory"]


class SiteVideoFilter(TenantScopedFilterSet):
    class Meta:
        model = SiteVideo
        fields = ["tenant", "device", "video", "category"]
