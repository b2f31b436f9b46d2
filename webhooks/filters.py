import django_filters

from core.tenancy import TenantScopedFilterSet

from .models import DeviceCommand, Event, WebhookDelivery, WebhookEndpoint


class EventFilter(TenantScopedFilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    type_prefix = django_filters.CharFilter(field_name="type", lookup_expr="startswith")

    class Meta:
        model = Event
        fields = ["type", "tenant", "actor_label"]


class WebhookEndpointFilter(TenantScopedFilterSet):
    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "is_active"]


class WebhookDeliveryFilter(TenantScopedFilterSet):
    event_type = django_filters.CharFilter(field_name="event__type")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event"]


class DeviceCommandFilter(TenantScopedFilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = DeviceCommand
        fields = ["tenant", "device", "type", "status", "release"]
