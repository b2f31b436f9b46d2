"""The one base of the management API (`/api/v1/manage/`). Every resource inherits
`ManagementViewSet` and adds the writes it supports with the mixins below, so that:

- the queryset is scoped to the caller's tenant (read scope for reads, write scope for
  writes; vendor-wide and platform-owned rows are read-only for tenant staff);
- every related field of an input serializer is scoped the same way: a tenant staff user
  naming another tenant's product, policy, release or device gets "does not exist",
  exactly as for an id that does not exist;
- `tenant` is pinned to the caller's own on create and update (tenant staff);
- writes go through the resource's services, with the caller as `actor`.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.response import Response

from ..tenancy import TenantScopedViewSetMixin, scope_for_user, user_tenant_id


def scope_input(
    serializer: serializers.Serializer, user, *, write_fields=()
) -> serializers.Serializer:
    """Restrict every related field's choices to the rows `user` may see, or, for the
    `write_fields` (a parent the write changes, e.g. an artifact's release), may change."""
    for name, field in serializer.fields.items():
        relation = field.child_relation if isinstance(field, ManyRelatedField) else field
        if isinstance(relation, RelatedField) and getattr(relation, "queryset", None) is not None:
            # DRF's stubs type `queryset` as a Manager too, whose __get__ in django-stubs
            # refuses any instance but Options (django-stubs' workaround of mypy#13608).
            relation.queryset = scope_for_user(relation.queryset, user, write=name in write_fields)  # type: ignore[arg-type]
    return serializer


class ManagementViewSet(
    TenantScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Read, scoped. Subclasses add `ServiceCreateMixin`, `ServiceUpdateMixin`,
    `ServiceDestroyMixin` and detail actions calling `self.transition(service)`."""

    # Related input fields naming a row the write changes: scoped to what the caller may
    # change, not merely see.
    write_scoped_fields: tuple[str, ...] = ()

    @property
    def actor(self):
        return self.request.user

    def validated_input(self, serializer_class, data, *, partial=False, creating=False) -> dict:
        """Validate a body with every related field scoped and `tenant` pinned: a new row
        of tenant staff is their tenant's, and they cannot move a row to another."""
        serializer = serializer_class(
            data=data, partial=partial, context=self.get_serializer_context()
        )
        scope_input(serializer, self.request.user, write_fields=self.write_scoped_fields)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        pinned = user_tenant_id(self.request.user) is not None
        if "tenant" in serializer.fields and (creating or (pinned and "tenant" in fields)):
            fields["tenant"] = self.tenant_for_create(fields.get("tenant"))
        return fields

    def call(self, service, row=None, **data):
        """`service(<model>=row, actor=caller, **data)`."""
        if row is not None:
            data[row._meta.model_name] = row
        return service(actor=self.actor, **data)

    def transition(self, service, **data):
        """A state change (suspend, publish…) of the addressed row, answered with the row."""
        return Response(self.get_serializer(self.call(service, self.get_object(), **data)).data)


class ServiceCreateMixin:
    """POST: `create_input` validated, then `create_service(actor=…, **input)`; override
    `create_response(result)` when the service returns more than the row."""

    create_input: type[serializers.Serializer]
    create_service = None

    def create(self, request, *args, **kwargs):
        fields = self.validated_input(self.create_input, request.data, creating=True)
        result = self.call(type(self).create_service, **fields)
        return self.create_response(result)

    def create_response(self, result):
        return Response(self.get_serializer(result).data, status=201)


class ServiceUpdateMixin:
    """PUT/PATCH: `update_input` validated (every field optional), then
    `update_service(<model>=row, actor=…, **changes)`, which saves and records only what
    changed."""

    update_input: type[serializers.Serializer]
    update_service = None

    def update(self, request, *args, **kwargs):
        row = self.get_object()  # 404 before any word on the input
        partial = kwargs.get("partial", False)
        changes = self.validated_input(self.update_input, request.data, partial=partial)
        row = self.call(type(self).update_service, row, **changes)
        return Response(self.get_serializer(row).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class ServiceDestroyMixin:
    """DELETE through `destroy_service(<model>=row, actor=…)`."""

    destroy_service = None

    def destroy(self, request, *args, **kwargs):
        if type(self).destroy_service is None:
            raise MethodNotAllowed(request.method)
        self.call(type(self).destroy_service, self.get_object())
        return Response(status=204)


def service_action(service, *, name: str, description: str, url_path: str | None = None):
    """A detail action `POST …/<id>/<url_path>/` that runs `service` on the row as the
    caller and answers with the row (suspend, publish, deactivate…)."""

    def view(self, request, pk=None):
        return self.transition(service)

    view.__name__ = name
    view.__doc__ = description
    view = extend_schema(request=None, description=description)(view)
    return action(detail=True, methods=["post"], url_path=url_path or name.replace("_", "-"))(view)
