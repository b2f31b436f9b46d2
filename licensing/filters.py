import django_filters

from core.tenancy import TenantScopedFilterSet

from .models import License, Policy, Product, Tenant


class TenantFilter(TenantScopedFilterSet):
    class Meta:
        model = Tenant
        fields = ["slug", "is_active"]


class ProductFilter(TenantScopedFilterSet):
    class Meta:
        model = Product
        fields = ["slug", "distribution"]


class PolicyFilter(TenantScopedFilterSet):
    class Meta:
        model = Policy
        fields = ["product"]


class LicenseFilter(TenantScopedFilterSet):
    expires_before = django_filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="lte")
    expires_after = django_filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="gte")

    class Meta:
        model = License
        fields = ["tenant", "product", "policy", "status", "key_prefix"]
