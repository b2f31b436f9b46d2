import django_filters

from core.tenancy import TenantScopedFilterSet

from .models import Artifact, Release, Rollout, UpdateSession


class ReleaseFilter(TenantScopedFilterSet):
    product = django_filters.CharFilter(field_name="product__slug")

    class Meta:
        model = Release
        fields = ["product", "version", "channel", "status", "is_mandatory", "tenant"]


class ArtifactFilter(TenantScopedFilterSet):
    class Meta:
        model = Artifact
        fields = ["release", "platform"]


class UpdateSessionFilter(TenantScopedFilterSet):
    class Meta:
        model = UpdateSession
        fields = ["device", "release", "status"]


class RolloutFilter(TenantScopedFilterSet):
    class Meta:
        model = Rollout
        fields = ["release", "status", "forced"]
