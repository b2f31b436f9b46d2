import django_filters

from .models import Artifact, Release, UpdateSession


class ReleaseFilter(django_filters.FilterSet):
    product = django_filters.CharFilter(field_name="product__slug")

    class Meta:
        model = Release
        fields = ["product", "version", "channel", "status", "is_mandatory", "tenant"]


class ArtifactFilter(django_filters.FilterSet):
    class Meta:
        model = Artifact
        fields = ["release", "platform"]


class UpdateSessionFilter(django_filters.FilterSet):
    class Meta:
        model = UpdateSession
        fields = ["device", "release", "status"]
