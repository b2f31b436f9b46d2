"""The event log in the management API (`/api/v1/manage/events/`): what happened, to which
tenant, done by whom. Read-only: events are written by `core.services.events.publish`."""

import django_filters
from rest_framework import serializers
from rest_framework.routers import SimpleRouter

from ..models import Event
from ..tenancy import TenantScopedFilterSet
from .viewsets import ManagementViewSet


class EventFilter(TenantScopedFilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    type_prefix = django_filters.CharFilter(field_name="type", lookup_expr="startswith")

    class Meta:
        model = Event
        fields = ["type", "tenant", "actor_label"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "type", "tenant", "actor", "actor_label", "payload", "created_at"]
        read_only_fields = fields


class EventViewSet(ManagementViewSet):
    """The event log: what happened, to which tenant, done by whom."""

    queryset = Event.objects.select_related("actor")
    serializer_class = EventSerializer
    filterset_class = EventFilter


manage_router = SimpleRouter()
manage_router.register("events", EventViewSet)
