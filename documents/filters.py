"""Filters of the synced documents' management API (choices scoped to the caller's tenant:
another tenant's id is refused like an unknown one)."""

import django_filters

from core.api.filters import StrictBooleanFilter
from core.tenancy import TenantScopedFilterSet

from .models import BrowserOrigin, PublishableKey, SyncDocument, SyncDocumentRevision


class SyncDocumentFilter(TenantScopedFilterSet):
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = SyncDocument
        fields = ["tenant", "name"]


class SyncDocumentRevisionFilter(TenantScopedFilterSet):
    name = django_filters.CharFilter(field_name="document__name")

    class Meta:
        model = SyncDocumentRevision
        fields = ["document", "version", "actor_label"]


class PublishableKeyFilter(TenantScopedFilterSet):
    revoked = StrictBooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = PublishableKey
        fields = ["tenant", "prefix"]


class BrowserOriginFilter(TenantScopedFilterSet):
    class Meta:
        model = BrowserOrigin
        fields = ["tenant", "origin"]
