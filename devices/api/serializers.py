from rest_framework import serializers

from core.api.serializers import StrictSerializer

from ..models import Device


class RegisterInput(StrictSerializer):
    hardwareId = serializers.CharField(max_length=200)
    machineName = serializers.CharField(max_length=200, required=False, allow_blank=True)
    osVersion = serializers.CharField(max_length=200, required=False, allow_blank=True)
    appVersion = serializers.CharField(max_length=100, required=False, allow_blank=True)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True)
    channel = serializers.CharField(max_length=16, required=False, allow_blank=True)
    product = serializers.SlugField(required=False)
    rotateToken = serializers.BooleanField(required=False, default=False)


class RegisterOutput(serializers.Serializer):
    deviceId = serializers.UUIDField()
    deviceToken = serializers.CharField(allow_null=True)
    hardwareId = serializers.CharField()
    registered = serializers.BooleanField(help_text="True when this call created the device.")
    tenantId = serializers.UUIDField()
    licenseStatus = serializers.CharField()
    channel = serializers.CharField()


class PingOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    deviceId = serializers.UUIDField(allow_null=True)
    serverTime = serializers.DateTimeField()


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = [
            "id",
            "tenant",
            "license",
            "product",
            "hardware_id",
            "name",
            "os_version",
            "platform",
            "app_version",
            "channel",
            "tags",
            "metadata",
            "status",
            "token_prefix",
            "last_seen_at",
            "created_at",
            "deactivated_at",
        ]
        read_only_fields = fields


class DeviceUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Device.Channel.choices, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100, required=False
    )
    metadata = serializers.DictField(required=False)
