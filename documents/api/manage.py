"""Management API of synced documents and their revisions (`/api/v1/manage/`)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.permissions import ModelPermissions
from core.api.viewsets import (
    ManagementViewSet,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceUpdateMixin,
    service_action,
)

from .. import services
from ..filters import (
    BrowserOriginFilter,
    PublishableKeyFilter,
    SyncDocumentFilter,
    SyncDocumentRevisionFilter,
)
from ..models import BrowserOrigin, PublishableKey, SyncDocument, SyncDocumentRevision
from .serializers import (
    BrowserOriginCreateInput,
    BrowserOriginSerializer,
    PublishableKeyCreatedSerializer,
    PublishableKeyCreateInput,
    PublishableKeySerializer,
    PublishableKeyUpdateInput,
    SyncDocumentCreateInput,
    SyncDocumentRevisionSerializer,
    SyncDocumentSerializer,
    SyncDocumentUpdateInput,
)
from .views import etag, if_match


@extend_schema_view(
    create=extend_schema(request=SyncDocumentCreateInput, responses={201: SyncDocumentSerializer}),
    update=extend_schema(request=SyncDocumentUpdateInput),
    partial_update=extend_schema(request=SyncDocumentUpdateInput),
)
class SyncDocumentViewSet(ServiceCreateMixin, ManagementViewSet):
    """Documents and their preserved fields. Updates merge like the node route and honour
    `If-Match`; a stale one is answered 412."""

    queryset = SyncDocument.objects.select_related("tenant")
    serializer_class = SyncDocumentSerializer
    filterset_class = SyncDocumentFilter
    create_input, create_service = SyncDocumentCreateInput, staticmethod(services.document_create)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag(response.data["version"])
        return response

    def update(self, request, *args, **kwargs):
        document = self.get_object()
        changes = self.validated_input(SyncDocumentUpdateInput, request.data, partial=True)
        document = services.document_update(
            document=document, actor=self.actor, if_match=if_match(request), **changes
        )
        return Response(
            self.get_serializer(document).data, headers={"ETag": etag(document.version)}
        )

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)


class _RestorePermission(ModelPermissions):
    """Restoring writes the document: it needs `change` on documents."""

    def _queryset(self, view):
        return SyncDocument.objects.all()


class SyncDocumentRevisionViewSet(ManagementViewSet):
    """Every write of a document, with its author and RFC 6902 diff; `restore` writes one
    back (a write like any other: merged, a revision and an event of its own)."""

    queryset = SyncDocumentRevision.objects.select_related("document")
    serializer_class = SyncDocumentRevisionSerializer
    filterset_class = SyncDocumentRevisionFilter

    def get_permissions(self):
        if self.action == "restore":
            return [_RestorePermission()]
        return super().get_permissions()

    @extend_schema(request=None, responses=SyncDocumentSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        document = services.document_restore(revision=self.get_object(), actor=self.actor)
        return Response(SyncDocumentSerializer(document).data)


@extend_schema_view(
    create=extend_schema(
        request=PublishableKeyCreateInput, responses={201: PublishableKeyCreatedSerializer}
    ),
    update=extend_schema(request=PublishableKeyUpdateInput),
    partial_update=extend_schema(request=PublishableKeyUpdateInput),
)
class PublishableKeyViewSet(ServiceCreateMixin, ServiceUpdateMixin, ManagementViewSet):
    """Publishable read keys of public frontends: the key is in the creation's answer only
    (stored hashed); `revoke` ends it at once."""

    queryset = PublishableKey.objects.select_related("tenant")
    serializer_class = PublishableKeySerializer
    filterset_class = PublishableKeyFilter
    create_input = PublishableKeyCreateInput
    create_service = staticmethod(services.publishable_key_create)
    update_input = PublishableKeyUpdateInput
    update_service = staticmethod(services.publishable_key_update)

    def create_response(self, result):
        body = PublishableKeyCreatedSerializer(result.publishable_key).data
        return Response({**body, "key": result.key}, status=201)

    revoke = service_action(
        services.publishable_key_revoke,
        name="revoke",
        description="Revoke the key: its reads are refused and its sockets hear nothing more.",
    )


@extend_schema_view(create=extend_schema(request=BrowserOriginCreateInput))
class BrowserOriginViewSet(ServiceCreateMixin, ServiceDestroyMixin, ManagementViewSet):
    """The origins a tenant's frontends call from (CORS, and where its publishable keys are
    accepted from)."""

    queryset = BrowserOrigin.objects.select_related("tenant")
    serializer_class = BrowserOriginSerializer
    filterset_class = BrowserOriginFilter
    create_input = BrowserOriginCreateInput
    create_service = staticmethod(services.browser_origin_create)
    destroy_service = staticmethod(services.browser_origin_delete)
