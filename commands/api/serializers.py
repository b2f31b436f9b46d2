from rest_framework import serializers

from core.api.serializers import StrictSerializer
from devices.models import Device
from releases.models import Release

from ..models import DeviceCommand, MediaVideo, SiteVideo


class DeviceCommandSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceCommand
        fields = [
            "id",
            "tenant",
            "device",
            "type",
            "data",
            "release",
            "video",
            "status",
            "result",
            "error",
            "created_by",
            "created_at",
            "expires_at",
            "delivered_at",
            "completed_at",
        ]
        read_only_fields = fields


class DeviceCommandInput(StrictSerializer):
    """`data` is checked per type by the service (the seed's field names); `release`
    makes an update_software whose URL and checksum come from the release."""

    device = serializers.PrimaryKeyRelatedField(queryset=Device.objects.all())
    type = serializers.CharField(max_length=50)
    data = serializers.JSONField(required=False, default=dict)
    release = serializers.PrimaryKeyRelatedField(
        queryset=Release.objects.all(), required=False, allow_null=True
    )
    video = serializers.PrimaryKeyRelatedField(
        queryset=MediaVideo.objects.all(),
        required=False,
        allow_null=True,
        help_text="A media library video: makes a deploy_video with a short-lived URL, "
        "its sha256 (`checksum`) and `size`.",
    )
    ttl = serializers.IntegerField(
        min_value=60, max_value=90 * 24 * 3600, required=False, help_text="Seconds to expiry."
    )


class MediaVideoSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediaVideo
        fields = [
            "id",
            "tenant",
            "title",
            "category",
            "subcategory",
            "filename",
            "size",
            "sha256",
            "duration",
            "created_at",
        ]
        read_only_fields = fields


class SiteVideoSerializer(serializers.ModelSerializer):
    class Meta:
        model = SiteVideo
        fields = [
            "id",
            "tenant",
            "device",
            "video",
            "filename",
            "category",
            "subcategory",
            "sha256",
            "size",
            "command",
            "deployed_at",
        ]
        read_only_fields = fields
