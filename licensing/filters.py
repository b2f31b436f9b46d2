import django_filters

from .models import License, Policy, Product, Tenant


class TenantFilter(django_filters.FilterSet):
    class Meta:
        model = Tenant
        fields = ["slug", "is_active"]


class ProductFilter(django_filters.FilterSet):
    class Meta:
        model = Product
        fields = ["slug", "distribution"]


class PolicyFilter(django_filters.FilterSet):
    class Meta:
        model = Policy
        fields = ["product"]


class LicenseFilter(django_filters.FilterSet):
    expires_before = django_filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="lte")
    expires_after = django_filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="gte")

    class Meta:
        model = License
        fields = ["tenant", "product", "policy", "status", "key_prefix"]
