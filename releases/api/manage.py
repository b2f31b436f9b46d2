from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.viewsets import ServiceViewSet
from core.tenancy import TenantScopedViewSetMixin, scope_for_user

from .. import services
from ..filters import ArtifactFilter, ReleaseFilter, UpdateSessionFilter
from ..models import Artifact, Release, UpdateSession
from .serializers import (
    ArtifactSerializer,
    ArtifactUploadInput,
    ReleaseCreateInput,
    ReleaseSerializer,
    ReleaseUpdateInput,
    UpdateSessionSerializer,
)


@extend_schema_view(
    update=extend_schema(request=ReleaseUpdateInput),
    partial_update=extend_schema(request=ReleaseUpdateInput),
)
class ReleaseViewSet(ServiceViewSet):
    queryset = Release.objects.select_related("product")
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    update_input = ReleaseUpdateInput
    update_service = staticmethod(services.release_update)

    @extend_schema(request=ReleaseCreateInput, responses={201: ReleaseSerializer})
    def create(self, request, *args, **kwargs):
        data = ReleaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["tenant"] = self.tenant_for_create(fields["tenant"])
        release = services.release_create(**fields)
        return Response(ReleaseSerializer(release).data, status=201)

    @extend_schema(request=None, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self.transition(services.release_publish)

    @extend_schema(request=None, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def yank(self, request, pk=None):
        return self.transition(services.release_yank)


class ArtifactViewSet(
    TenantScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Upload with multipart/form-data: Django spools the body to disk as it arrives and the
    service hashes and stores it a chunk at a time, so no artifact sits whole in memory."""

    queryset = Artifact.objects.select_related("release")
    serializer_class = ArtifactSerializer
    filterset_class = ArtifactFilter
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ArtifactUploadInput, responses={201: ArtifactSerializer})
    def create(self, request, *args, **kwargs):
        data = ArtifactUploadInput(data=request.data)
        releases = scope_for_user(Release.objects.all(), request.user, write=True)
        data.fields["release"].queryset = releases
        data.is_valid(raise_exception=True)
        d = data.validated_data
        artifact = services.artifact_create(
            release=d["release"],
            file=d["file"],
            platform=d["platform"],
            filename=d["file"].name,
            declared_size=d.get("size"),
            declared_sha256=d.get("sha256"),
            signature=d["signature"],
        )
        return Response(ArtifactSerializer(artifact).data, status=201)

    def perform_destroy(self, instance):
        services.artifact_delete(artifact=instance)


class UpdateSessionViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = UpdateSession.objects.select_related("device", "release")
    serializer_class = UpdateSessionSerializer
    filterset_class = UpdateSessionFilter
