import django_filters

from core.tenancy import TenantScopedFilterSet

from .models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilter(TenantScopedFilterSet):
    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "is_active"]


class WebhookDeliveryFilter(TenantScopedFilterSet):
    event_type = django_filters.CharFilter(field_name="event__type")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event"]
