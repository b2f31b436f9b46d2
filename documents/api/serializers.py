"""Serializers of the synced documents' API."""

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from licensing.models import Tenant

from .. import merge
from ..models import BrowserOrigin, PublishableKey, SyncDocument, SyncDocumentRevision

# Seed 004's routes (`/api/settings`, `/api/team`…) send and answer the document itself:
# `settings` an object, the others lists of objects, `[]` before their first write.
_JSON_OBJECT = {"type": "object", "additionalProperties": {}}


def seed_document_schema(name: str) -> dict:
    """The OpenAPI schema of seed document `name`, as its route reads and writes it."""
    if merge.SEED_DOCUMENTS[name]["shape"] == merge.LIST:
        return {
            "type": "array",
            "items": _JSON_OBJECT,
            "description": f"The `{name}` document: a list of objects matched by `id`.",
        }
    return {**_JSON_OBJECT, "description": f"The `{name}` document: an object."}


def seed_stale_schema(name: str) -> dict:
    """412 on a seed route: the error, the current version and the current document."""
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "example": "PRECONDITION_FAILED"},
            "message": {"type": "string"},
            "currentVersion": {"type": "integer"},
            "data": seed_document_schema(name),
        },
        "required": ["code", "message", "currentVersion", "data"],
    }


class DocumentPutInput(StrictSerializer):
    """`PUT /api/v1/sync/documents/<name>`: the new value (an object, or a list of objects)."""

    data = serializers.JSONField()


class DocumentOutput(serializers.Serializer):
    """What `/api/v1/sync/documents/<name>` answers (camelCase, like the rest of the node API)."""

    name = serializers.CharField()
    version = serializers.IntegerField()
    data = serializers.JSONField()
    preserveFields = serializers.ListField(child=serializers.CharField(), source="preserve_fields")
    updatedAt = serializers.DateTimeField(source="updated_at")


class StaleOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    currentVersion = serializers.IntegerField()
    document = DocumentOutput(allow_null=True)


class SyncDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncDocument
        fields = [
            "id",
            "tenant",
            "name",
            "version",
            "data",
            "preserve_fields",
            "updated_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SyncDocumentCreateInput(StrictSerializer):
    tenant = serializers.PrimaryKeyRelatedField(queryset=Tenant.objects.all(), required=False)
    name = serializers.CharField(max_length=64)
    data = serializers.JSONField(required=False)
    preserve_fields = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )


class SyncDocumentUpdateInput(StrictSerializer):
    data = serializers.JSONField(required=False)
    preserve_fields = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )


class SyncDocumentRevisionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="document.name", read_only=True)

    class Meta:
        model = SyncDocumentRevision
        fields = [
            "id",
            "document",
            "name",
            "version",
            "changed",
            "patch",
            "data",
            "restored_from",
            "actor",
            "actor_label",
            "created_at",
        ]
        read_only_fields = fields


class PublishableKeySerializer(serializers.ModelSerializer):
    """A publishable key as listed (never the key: it is shown once, on creation)."""

    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = PublishableKey
        fields = ["id", "tenant", "name", "prefix", "documents", "is_active", "created_at"]
        fields += ["revoked_at"]
        read_only_fields = fields


class PublishableKeyCreatedSerializer(PublishableKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once.")

    class Meta(PublishableKeySerializer.Meta):
        fields = [*PublishableKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class PublishableKeyCreateInput(StrictSerializer):
    tenant = serializers.PrimaryKeyRelatedField(queryset=Tenant.objects.all(), required=False)
    name = serializers.CharField(max_length=200, required=False, default="")
    documents = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=50
    )


class PublishableKeyUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    documents = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=50, required=False
    )


class BrowserOriginSerializer(serializers.ModelSerializer):
    class Meta:
        model = BrowserOrigin
        fields = ["id", "tenant", "origin", "created_at"]
        read_only_fields = fields


class BrowserOriginCreateInput(StrictSerializer):
    tenant = serializers.PrimaryKeyRelatedField(queryset=Tenant.objects.all(), required=False)
    origin = serializers.CharField(max_length=200)
