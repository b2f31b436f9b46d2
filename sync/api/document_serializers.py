"""Serializers of the synced documents' API."""

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from licensing.models import Tenant

from ..models import SyncDocument, SyncDocumentRevision


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
