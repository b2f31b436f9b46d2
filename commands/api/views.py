"""Commands for agents that poll over HTTP (device token or the site's Bearer API key),
and the management API's `device-commands`."""

from django.http import FileResponse
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from core.api.serializers import StrictSerializer
from core.api.views import NodeView, PublicNodeView
from core.api.viewsets import ManagementViewSet, ServiceCreateMixin, service_action
from core.exceptions import ApiError

from .. import services
from ..filters import DeviceCommandFilter, MediaVideoFilter, SiteVideoFilter
from ..models import DeviceCommand, MediaVideo, SiteVideo
from ..services import command_complete, commands_claim
from .serializers import (
    DeviceCommandInput,
    DeviceCommandSerializer,
    MediaVideoSerializer,
    SiteVideoSerializer,
)


class CommandMessage(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.CharField()
    data = serializers.DictField()


class CommandResultInput(StrictSerializer):
    commandId = serializers.UUIDField(required=False)
    status = serializers.CharField(max_length=20)
    result = serializers.JSONField(required=False, allow_null=True)


class PendingCommandsView(NodeView):
    """`GET /api/v1/devices/commands`: the device's queued commands, now marked delivered."""

    @extend_schema(
        responses=inline_serializer("PendingCommands", {"commands": CommandMessage(many=True)})
    )
    def get(self, request):
        device = request.user.device
        if device is None:
            raise ApiError("DEVICE_NOT_ACTIVATED", "hardwareId is required.", 401)
        return Response({"commands": commands_claim(device=device)})


class CommandResultView(NodeView):
    """`POST /api/v1/devices/commands/<id>/result {commandId, status, result}`: the
    answer (`status` is the agent's `success` / `error`, or `succeeded` / `failed`)."""

    error_statuses = (409,)  # an answer to a command already closed

    @extend_schema(
        request=CommandResultInput,
        responses=inline_serializer(
            "CommandResult",
            {"commandId": serializers.UUIDField(), "status": serializers.CharField()},
        ),
    )
    def post(self, request, command_id):
        device = request.user.device
        if device is None:
            raise ApiError("DEVICE_NOT_ACTIVATED", "hardwareId is required.", 401)
        data = CommandResultInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        if "commandId" in d and d["commandId"] != command_id:
            raise ApiError("COMMAND_MISMATCH", "commandId differs from the URL's.", 400)
        command = command_complete(
            device=device, command_id=command_id, status=d["status"], result=d.get("result")
        )
        return Response({"commandId": command.pk, "status": command.status})


@extend_schema_view(create=extend_schema(request=DeviceCommandInput))
class DeviceCommandViewSet(ServiceCreateMixin, ManagementViewSet):
    """Remote commands: queue one for a device (pushed at once when it is connected),
    follow its status and result, cancel it while open."""

    queryset = DeviceCommand.objects.select_related("device", "tenant")
    serializer_class = DeviceCommandSerializer
    filterset_class = DeviceCommandFilter
    create_input, create_service = DeviceCommandInput, staticmethod(services.command_create)

    cancel = service_action(
        services.command_cancel,
        name="cancel",
        description="Cancel an open command (a delivered one may already be running).",
    )


class MediaVideoViewSet(ManagementViewSet):
    """The tenant's media library (uploaded in the backoffice): what `video` of a
    deploy_video may name."""

    queryset = MediaVideo.objects.all()
    serializer_class = MediaVideoSerializer
    filterset_class = MediaVideoFilter


class SiteVideoViewSet(ManagementViewSet):
    """The videos each site holds, kept from its agent's deploy_video / delete_video
    results (`?device=<id>` for one site)."""

    queryset = SiteVideo.objects.all()
    serializer_class = SiteVideoSerializer
    filterset_class = SiteVideoFilter


class MediaDownloadView(PublicNodeView):
    """`GET /api/v1/devices/media/<signed link>`: the video a deploy_video named, while
    its link is young, when the storage cannot presign (local files). The link is the
    credential: the seed's agent downloads `videoUrl` as it is."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, token):
        video = services.video_for_link(token)
        response = FileResponse(video.file.open("rb"), as_attachment=True, filename=video.filename)
        response["Content-Length"] = str(video.size)
        return response
