from rest_framework import serializers

from core.api.serializers import INT_MAX, FreeTextField, StrictSerializer
from licensing.models import Product, Tenant

from ..models import Artifact, Release, Rollout, UpdateSession


class CheckInput(StrictSerializer):
    hardwareId = serializers.CharField(max_length=200, required=False)
    version = serializers.CharField(max_length=100, required=False)
    osVersion = serializers.CharField(max_length=200, required=False, allow_blank=True)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True)
    channel = serializers.CharField(max_length=16, required=False, allow_blank=True)


_CHECK_LIMITS = {name: field.max_length for name, field in CheckInput().fields.items()}
_CHECK_REQUIRED_TEXT = {"hardwareId", "version"}  # not blank when given


def check_params(query) -> dict:
    """CheckInput's validated data, without a serializer pass for the plain case (a hot
    path): short ASCII values of known fields are taken as they are; anything else goes
    through CheckInput, whose errors are the answer."""
    data = {}
    for name, values in query.lists():
        limit = _CHECK_LIMITS.get(name)
        value = values[-1]
        plain = value.isascii() and value.isprintable() and value == value.strip()
        if limit is None or len(value) > limit or not plain:
            break
        if not value and name in _CHECK_REQUIRED_TEXT:
            break
        data[name] = value
    else:
        return data
    slow = CheckInput(data=query)
    slow.is_valid(raise_exception=True)
    return slow.validated_data


class CheckOutput(serializers.Serializer):
    updateAvailable = serializers.BooleanField()
    mandatory = serializers.BooleanField(required=False)
    version = serializers.CharField(required=False)
    downloadUrl = serializers.URLField(required=False)
    checksum = serializers.CharField(required=False, help_text="sha256, hex")
    sha512 = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False)
    releaseNotes = serializers.CharField(required=False)
    sessionId = serializers.UUIDField(required=False)
    releaseId = serializers.UUIDField(required=False)
    artifactId = serializers.UUIDField(required=False)
    channel = serializers.CharField(required=False)
    publishedAt = serializers.DateTimeField(required=False)
    vendorSignature = serializers.CharField(required=False, allow_null=True)
    manifest = serializers.CharField(
        required=False, help_text="Signed update manifest: canonical JSON (see GET /api/v1/keys)"
    )
    signature = serializers.CharField(
        required=False, help_text="Ed25519 signature of the manifest's UTF-8 bytes, base64"
    )
    kid = serializers.CharField(required=False, help_text="Id of the key that signed it")


STATUSES = [s for s in UpdateSession.Status.values]


class StatusInput(StrictSerializer):
    sessionId = serializers.UUIDField()
    status = serializers.ChoiceField(choices=STATUSES)
    downloadPercent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    errorMessage = FreeTextField(max_length=5000, required=False, allow_blank=True)
    fromVersion = serializers.CharField(max_length=100, required=False, allow_blank=True)
    duration = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    hardwareId = serializers.CharField(max_length=200, required=False)


class StatusOutput(serializers.Serializer):
    sessionId = serializers.UUIDField(source="pk")
    status = serializers.CharField()
    percent = serializers.IntegerField()
    fromVersion = serializers.CharField(source="from_version")
    toVersion = serializers.CharField(source="to_version")
    error = serializers.CharField()
    attempt = serializers.IntegerField()
    stale = serializers.BooleanField(
        default=False, help_text="A late report, acknowledged: the session did not change."
    )
    currentStatus = serializers.CharField(source="status")


class CyberSenseiCheckInput(StrictSerializer):
    tenantId = serializers.UUIDField()
    version = serializers.CharField(max_length=100)
    product = serializers.SlugField(required=False)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True)


class CyberSenseiCheckOutput(serializers.Serializer):
    updateAvailable = serializers.BooleanField()
    currentVersion = serializers.CharField()
    latestVersion = serializers.CharField()
    updateId = serializers.CharField(
        allow_null=True, help_text="Opaque; pass it to /update/download/<updateId>."
    )
    changelog = serializers.CharField(allow_null=True)
    fileSize = serializers.IntegerField(allow_null=True)
    checksum = serializers.CharField(required=False, help_text="sha256, hex")
    # Not allow_null: DRF would then write it as null when absent (no update).
    vendorSignature = serializers.CharField(required=False)
    manifest = serializers.CharField(
        required=False, help_text="Signed update manifest: canonical JSON (see GET /api/v1/keys)"
    )
    signature = serializers.CharField(
        required=False, help_text="Ed25519 signature of the manifest's UTF-8 bytes, base64"
    )
    kid = serializers.CharField(required=False, help_text="Id of the key that signed it")


class DataShareLatestInput(StrictSerializer):
    product = serializers.SlugField(required=False)
    version = serializers.CharField(
        max_length=100,
        required=False,
        help_text="The app's version (in its update URL): a stepping stone newer than it is "
        "answered before anything newer.",
    )
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True)


class DataShareLatestOutput(serializers.Serializer):
    version = serializers.CharField()
    release_date = serializers.DateField()
    download_url = serializers.URLField()
    changelog = serializers.ListField(child=serializers.CharField())
    sha256 = serializers.CharField()
    vendor_signature = serializers.CharField(required=False, allow_null=True)
    manifest = serializers.CharField(
        required=False, help_text="Signed update manifest: canonical JSON (see GET /api/v1/keys)"
    )
    signature = serializers.CharField(
        required=False, help_text="Ed25519 signature of the manifest's UTF-8 bytes, base64"
    )
    kid = serializers.CharField(required=False, help_text="Id of the key that signed it")


# --- Management API ----------------------------------------------------------------------


class ReleaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Release
        fields = [
            "id",
            "product",
            "version",
            "channel",
            "notes",
            "is_mandatory",
            "is_stepping_stone",
            "status",
            "published_at",
            "downloads",
            "tenant",
            "created_at",
        ]
        read_only_fields = ["status", "published_at", "created_at", "downloads"]


class ReleaseCreateInput(StrictSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    version = serializers.CharField(max_length=100)
    channel = serializers.ChoiceField(choices=Release.Channel.choices, default="stable")
    notes = FreeTextField(required=False, allow_blank=True, default="")
    is_mandatory = serializers.BooleanField(required=False, default=False)
    is_stepping_stone = serializers.BooleanField(required=False, default=False)
    tenant = serializers.PrimaryKeyRelatedField(
        queryset=Tenant.objects.all(), required=False, allow_null=True, default=None
    )


class ReleaseUpdateInput(StrictSerializer):
    notes = FreeTextField(required=False, allow_blank=True)
    is_mandatory = serializers.BooleanField(required=False)
    is_stepping_stone = serializers.BooleanField(required=False)
    channel = serializers.ChoiceField(choices=Release.Channel.choices, required=False)


class ArtifactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Artifact
        fields = [
            "id",
            "release",
            "platform",
            "filename",
            "size",
            "sha256",
            "sha512",
            "signature",
            "created_at",
        ]
        read_only_fields = fields


class ArtifactUploadInput(StrictSerializer):
    release = serializers.PrimaryKeyRelatedField(queryset=Release.objects.all())
    file = serializers.FileField()
    platform = serializers.CharField(max_length=50, required=False, default="any")
    size = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, help_text="Checked, not trusted."
    )
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False)
    signature = FreeTextField(required=False, allow_blank=True, default="")


class UpdateSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = UpdateSession
        fields = [
            "id",
            "device",
            "release",
            "from_version",
            "to_version",
            "status",
            "percent",
            "error",
            "duration_seconds",
            "started_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = fields


class RolloutSerializer(serializers.ModelSerializer):
    target_tenants = serializers.SerializerMethodField()
    target_device_count = serializers.SerializerMethodField()

    class Meta:
        model = Rollout
        fields = [
            "id",
            "release",
            "stages",
            "stage",
            "percent",
            "status",
            "max_failure_rate",
            "min_sample",
            "forced",
            "overrides_windows",
            "target_tenants",
            "target_device_count",
            "start_at",
            "stage_started_at",
            "ended_at",
            "halt_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_target_tenants(self, rollout) -> list[str]:
        # A tenant id opens the CyberSensei dialect: tenant staff see only their own.
        from core.tenancy import user_tenant_id

        request = self.context.get("request")
        own = user_tenant_id(request.user) if request else None
        ids = rollout.target_tenant_ids
        return [t for t in ids if str(t) == str(own)] if own is not None else ids

    def get_target_device_count(self, rollout) -> int:
        return len(rollout.target_device_ids)


class RolloutStartInput(StrictSerializer):
    """Stages are checked by the service (code INVALID_STAGES): 1–100, strictly increasing."""

    release = serializers.PrimaryKeyRelatedField(queryset=Release.objects.all())
    stages = serializers.JSONField(
        required=False, help_text='[{"percent": 10, "holdMinutes": 60}, …]; default: 100 % now.'
    )
    max_failure_rate = serializers.FloatField(required=False, default=10.0)
    min_sample = serializers.IntegerField(
        min_value=1, max_value=INT_MAX, required=False, default=20
    )
    forced = serializers.BooleanField(required=False, default=False)
    overrides_windows = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Forced only: offered and pushed outside maintenance windows (default), "
        "or held to them.",
    )
    target_tenants = serializers.PrimaryKeyRelatedField(
        queryset=Tenant.objects.all(), many=True, required=False, default=list
    )
    target_devices = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=100_000
    )
    start_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
