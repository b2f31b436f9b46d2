"""Base viewsets of the management API (kept apart from base.py, which DRF's own settings
import while its views are still loading)."""

from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from ..tenancy import TenantScopedViewSetMixin


class ServiceWritesMixin:
    """Management viewsets whose rows change only through services: `update_input`
    validates a PUT/PATCH body and `update_service(<model>=row, **data)` applies it;
    `transition(service)` runs a state change (suspend, publish…) on the addressed row."""

    update_input: type[serializers.Serializer]
    update_service = None

    def _call(self, service, row, **data):
        return service(**{row._meta.model_name: row}, **data)

    def update(self, request, *args, **kwargs):
        row = self.get_object()  # 404 before any word on the input
        data = self.update_input(data=request.data)
        data.is_valid(raise_exception=True)
        row = self._call(type(self).update_service, row, **data.validated_data)
        return Response(self.get_serializer(row).data)

    def transition(self, service):
        return Response(self.get_serializer(self._call(service, self.get_object())).data)


class ServiceViewSet(
    ServiceWritesMixin,
    TenantScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A tenant-scoped management viewset without delete, whose writes go through services
    (subclasses give `create`, `update_input` and `update_service`)."""
