import io

from django.utils.http import parse_header_parameters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import ParseError

from core.api.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser, bounded_body
from core.api.viewsets import (
    ManagementViewSet,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceUpdateMixin,
    service_action,
)

from ..filters import ArtifactFilter, ReleaseFilter, RolloutFilter, UpdateSessionFilter
from ..models import Artifact, Release, Rollout, UpdateSession
from ..services import releases as services
from ..services import rollouts
from .serializers import (
    ArtifactSerializer,
    ArtifactUploadInput,
    ReleaseCreateInput,
    ReleaseSerializer,
    ReleaseUpdateInput,
    RolloutSerializer,
    RolloutStartInput,
    UpdateSessionSerializer,
)


class FieldsMultiPartParser(SafeMultiPartParser):
    """Multipart holding fields only (a release has no file). Django's parser skips what it
    cannot read, so a body that is no multipart at all (a bare number) parsed as an empty,
    valid update: it is refused unless it really is an empty multipart."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = bounded_body(stream, parser_context)
        parsed = super().parse(io.BytesIO(body), media_type, parser_context)
        if not parsed.data and not parsed.files:
            delimiter = b"--" + parse_header_parameters(media_type or "")[1]["boundary"].encode()
            if body.count(delimiter) != 1 or delimiter + b"--" not in body:
                raise ParseError("Malformed multipart body: no part could be read.")
        return parsed


@extend_schema_view(
    create=extend_schema(request=ReleaseCreateInput, responses={201: ReleaseSerializer}),
    update=extend_schema(request=ReleaseUpdateInput),
    partial_update=extend_schema(request=ReleaseUpdateInput),
)
class ReleaseViewSet(ServiceCreateMixin, ServiceUpdateMixin, ManagementViewSet):
    queryset = Release.objects.select_related("product")
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    parser_classes = [SafeJSONParser, SafeFormParser, FieldsMultiPartParser]
    create_input, create_service = ReleaseCreateInput, staticmethod(services.release_create)
    update_input, update_service = ReleaseUpdateInput, staticmethod(services.release_update)

    publish = service_action(
        services.release_publish, name="publish", description="Offer the release to devices."
    )
    yank = service_action(
        services.release_yank, name="yank", description="Withdraw: never offered nor served."
    )


class ArtifactViewSet(ServiceCreateMixin, ServiceDestroyMixin, ManagementViewSet):
    """Upload with multipart/form-data: Django spools the body to disk as it arrives and the
    service hashes and stores it a chunk at a time, so no artifact sits whole in memory."""

    queryset = Artifact.objects.select_related("release")
    serializer_class = ArtifactSerializer
    filterset_class = ArtifactFilter
    parser_classes = [SafeMultiPartParser, SafeFormParser]
    write_scoped_fields = ("release",)  # an upload changes its release
    create_input = ArtifactUploadInput
    destroy_service = staticmethod(services.artifact_delete)

    @staticmethod
    def create_service(*, actor, release, file, platform, size=None, sha256=None, signature=""):
        return services.artifact_create(
            actor=actor,
            release=release,
            file=file,
            platform=platform,
            filename=file.name,
            declared_size=size,
            declared_sha256=sha256,
            signature=signature,
        )

    @extend_schema(request=ArtifactUploadInput, responses={201: ArtifactSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class UpdateSessionViewSet(ManagementViewSet):
    """Written by devices' status reports; read here."""

    queryset = UpdateSession.objects.select_related("device", "release")
    serializer_class = UpdateSessionSerializer
    filterset_class = UpdateSessionFilter


@extend_schema_view(
    create=extend_schema(request=RolloutStartInput, responses={201: RolloutSerializer})
)
class RolloutViewSet(ServiceCreateMixin, ManagementViewSet):
    """Create starts a rollout (or, with `forced`, forces the update) for all devices, some
    tenants' or selected devices; the beat advances it. Stages, percents and a second
    active rollout are refused with a code (INVALID_STAGES, ROLLOUT_ACTIVE…)."""

    queryset = Rollout.objects.select_related("release")
    serializer_class = RolloutSerializer
    filterset_class = RolloutFilter
    write_scoped_fields = ("release",)
    create_input, create_service = RolloutStartInput, staticmethod(rollouts.rollout_start)

    pause = service_action(rollouts.rollout_pause, name="pause", description="Stop advancing.")
    resume = service_action(rollouts.rollout_resume, name="resume", description="Run again.")
    advance = service_action(
        rollouts.rollout_advance, name="advance", description="Go to the next stage now."
    )
    halt = service_action(
        rollouts.rollout_halt, name="halt", description="Stop: nobody new is offered it."
    )
