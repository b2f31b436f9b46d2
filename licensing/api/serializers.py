from datetime import timedelta

from rest_framework import serializers

from core.api.serializers import INT_MAX, StrictSerializer

from .. import services
from ..models import ApiToken, License, Policy, Product, Tenant


class PresentSlugField(serializers.SlugField):
    """A slug that, when sent, is never blank, in a form as in JSON (DRF takes an empty
    optional form field for an absent one, which the schema's minLength 1 does not say)."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class ValidateInput(StrictSerializer):
    key = serializers.CharField(max_length=100)
    product = PresentSlugField(required=False)


class LicenseSummary(serializers.Serializer):
    """The license as a node sees it (plain serializer: validation is a hot path)."""

    id = serializers.UUIDField()
    keyPrefix = serializers.CharField(source="key_prefix")
    status = serializers.CharField()
    tenantId = serializers.UUIDField(source="tenant_id")
    tenantName = serializers.CharField(source="tenant.name")
    product = serializers.CharField(source="product.slug")
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    updatesUntil = serializers.DateTimeField(source="updates_until", allow_null=True)
    maxDevices = serializers.IntegerField(source="max_devices", allow_null=True)
    validationCount = serializers.IntegerField(source="validation_count")
    maxValidations = serializers.IntegerField(source="max_validations", allow_null=True)
    entitlements = serializers.ListField(source="policy.entitlements")


class ValidateOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    code = serializers.CharField()
    message = serializers.CharField()
    license = LicenseSummary(allow_null=True)


class NodeLicenseInput(StrictSerializer):
    hardwareId = serializers.CharField(max_length=200, required=False)

    def validate(self, attrs):
        query = getattr(self, "initial_data", None)
        if hasattr(query, "lists"):  # a QueryDict: one value per parameter
            repeated = sorted(name for name, values in query.lists() if len(values) > 1)
            if repeated:
                raise serializers.ValidationError(
                    {name: ["Given more than once."] for name in repeated}
                )
        return super().validate(attrs)


class NodeDevice(serializers.Serializer):
    id = serializers.UUIDField(source="pk")
    hardwareId = serializers.CharField(source="hardware_id")


class NodeLicenseOutput(ValidateOutput):
    device = NodeDevice(allow_null=True)
    offlineValidity = serializers.IntegerField(help_text="Seconds a license file stays valid")


class LicenseFileOutput(serializers.Serializer):
    licenseFile = serializers.CharField(help_text="-----BEGIN LICENSE FILE----- …")
    kid = serializers.CharField()
    issuedAt = serializers.DateTimeField()
    validUntil = serializers.DateTimeField()


class CyberSenseiValidateInput(StrictSerializer):
    key = serializers.CharField(max_length=100)


class CyberSenseiValidateOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    tenantId = serializers.UUIDField()
    tenantName = serializers.CharField()
    expiresAt = serializers.DateTimeField(allow_null=True)
    usageCount = serializers.IntegerField()
    maxUsageCount = serializers.IntegerField(allow_null=True)


# --- Management API ----------------------------------------------------------------------


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "language", "is_active", "created_at"]
        read_only_fields = fields


LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]


class TenantInput(StrictSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100)
    language = serializers.ChoiceField(LANGUAGE_CHOICES, required=False)


class TenantUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.SlugField(max_length=100, required=False)
    language = serializers.ChoiceField(LANGUAGE_CHOICES, required=False)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "name",
            "distribution",
            "allowed_commands",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class ProductInput(StrictSerializer):
    slug = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    distribution = serializers.ChoiceField(
        choices=Product.Distribution.choices, default=Product.Distribution.LICENSED
    )
    allowed_commands = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=100, required=False
    )


class ProductUpdateInput(StrictSerializer):
    slug = serializers.SlugField(max_length=100, required=False)
    name = serializers.CharField(max_length=200, required=False)
    distribution = serializers.ChoiceField(choices=Product.Distribution.choices, required=False)
    allowed_commands = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=100, required=False
    )


# What a policy shows: its id, product and state, and what its service lets staff edit.
POLICY_FIELDS = ["id", "product", *sorted(services.POLICY_FIELDS), "is_active"]


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = POLICY_FIELDS
        read_only_fields = fields


def _count(**kwargs):
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=INT_MAX, **kwargs
    )


def _duration(**kwargs):
    # Bounded: SQLite stores microseconds in a 64-bit integer.
    bounds = {"min_value": timedelta(0), "max_value": timedelta(days=36500)}
    return serializers.DurationField(required=False, **(bounds | kwargs))


class PolicyUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    max_devices = _count()
    duration = _duration(allow_null=True)
    max_validations = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=INT_MAX
    )
    heartbeat_window = _duration(allow_null=True)
    grace_period = _duration()
    maintenance_duration = _duration(allow_null=True)
    offline_validity = _duration(min_value=timedelta(minutes=1))
    entitlements = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=200, required=False
    )


class PolicyInput(PolicyUpdateInput):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    name = serializers.CharField(max_length=200)


class LicenseSerializer(serializers.ModelSerializer):
    class Meta:
        model = License
        fields = [
            "id",
            "tenant",
            "product",
            "policy",
            "name",
            "key_prefix",
            "status",
            "expires_at",
            "updates_until",
            "max_devices",
            "max_validations",
            "validation_count",
            "last_validated_at",
            "created_at",
        ]
        read_only_fields = ["key_prefix", "status", "validation_count", "last_validated_at"]


class LicenseIssueInput(StrictSerializer):
    tenant = serializers.PrimaryKeyRelatedField(queryset=Tenant.objects.all())
    policy = serializers.PrimaryKeyRelatedField(queryset=Policy.objects.select_related("product"))
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    updates_until = serializers.DateTimeField(required=False, allow_null=True)
    max_devices = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=INT_MAX
    )
    max_validations = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=INT_MAX
    )


class LicenseUpdateInput(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    updates_until = serializers.DateTimeField(required=False, allow_null=True)
    max_devices = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=INT_MAX
    )
    max_validations = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=INT_MAX
    )


class LicenseWithKey(LicenseSerializer):
    key = serializers.CharField(read_only=True)

    class Meta(LicenseSerializer.Meta):
        fields = [*LicenseSerializer.Meta.fields, "key"]


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "created_at", "last_used_at", "expires_at"]
