"""Tenant scoping, written once.

Every model that holds a tenant's data either inherits `TenantOwnedModel` (a `tenant`
foreign key) or declares `tenant_lookup` (the path to its tenant, e.g. "device__tenant")
and uses `TenantQuerySet`. Vendor-wide models that tenant staff may read (products,
policies) say so with `tenancy_platform_shared = True`; any other model is hidden from
them. Admins inherit `TenantScopedAdmin` (core.tenancy_admin), API viewsets `TenantScopedViewSetMixin`;
`core.checks` fails the start when a model or an admin forgets. Platform staff (a
user without a tenant) see everything; tenant staff see only their tenant's rows.
"""

import django_filters
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from rest_framework.permissions import SAFE_METHODS

from .api.filters import StrictBooleanFilter
from .filters import BoundedFilterSet


def user_tenant_id(user):
    """The tenant a user is confined to, or None for platform staff."""
    return getattr(user, "tenant_id", None)


def tenant_for_user(user, requested: str | None):
    """The tenant a per-tenant route acts on: tenant staff their own (another tenant's id is
    answered like an unknown one); platform staff the one they name (TENANT_REQUIRED when
    they name none)."""
    import uuid

    from django.utils.translation import gettext as _

    from .exceptions import ApiError

    own = user_tenant_id(user)
    unknown = ApiError("TENANT_NOT_FOUND", _("Unknown tenant."), 404)
    if own is not None:
        if requested and requested != str(own):
            raise unknown
        return tenant_model().objects.get(pk=own)
    if not requested:
        raise ApiError("TENANT_REQUIRED", _("Platform staff name the tenant: ?tenant=<id>."))
    try:
        return tenant_model().objects.get(pk=uuid.UUID(requested))
    except (ValueError, tenant_model().DoesNotExist) as exc:
        raise unknown from exc


def user_is_platform_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user_tenant_id(user) is None)


class TenantQuerySet(models.QuerySet):
    def _lookup(self) -> str:
        return getattr(self.model, "tenant_lookup", "tenant")

    def for_tenant(self, tenant, *, write: bool = False):
        """The tenant's rows; for reading, also the rows shared by every tenant (e.g.
        unrestricted releases). Shared rows are never a tenant's to change."""
        tenant_id = getattr(tenant, "pk", tenant)
        lookup = self._lookup()
        condition = Q(**{lookup: tenant_id})
        if not write and getattr(self.model, "tenant_shared_when_null", False):
            condition |= Q(**{f"{lookup}__isnull": True})
        return self.filter(condition)

    def for_user(self, user, *, write: bool = False):
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        tenant_id = user_tenant_id(user)
        if tenant_id is None:
            return self if user.is_staff or user.is_superuser else self.none()
        return self.for_tenant(tenant_id, write=write)


class TenantOwnedModel(models.Model):
    tenant = models.ForeignKey(settings.RELAIS_TENANT_MODEL, on_delete=models.PROTECT)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class TenantScopedViewSetMixin:
    """API viewsets: every queryset restricted to the caller's tenant (unsafe methods to
    the rows it may change), new rows pinned to it."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        model = self.get_queryset().model
        if (
            request.method not in SAFE_METHODS
            and user_tenant_id(request.user) is not None
            and not tenant_may_write(model)
        ):
            self.permission_denied(request, message="Vendor-wide data is read-only for tenants.")

    def get_queryset(self):
        write = self.request.method not in SAFE_METHODS
        return scope_for_user(super().get_queryset(), self.request.user, write=write)

    def tenant_for_create(self, requested_tenant=None):
        """The tenant a new row belongs to: the caller's own for tenant staff."""
        tenant_id = user_tenant_id(self.request.user)
        if tenant_id is None:
            return requested_tenant
        return tenant_model().objects.get(pk=tenant_id)


class TenantScopedFilterSet(BoundedFilterSet):
    """django-filter: choices of foreign-key filters are scoped too, so an id of another
    tenant's row is refused like one that does not exist; values are bounded to what the
    database holds (core.filters)."""

    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        for field in self.form.fields.values():
            if hasattr(field, "queryset") and field.queryset is not None:
                field.queryset = scope_for_user(field.queryset, user)


def _has_tenant_field(model) -> bool:
    return any(f.name == "tenant" for f in model._meta.get_fields())


def pin_tenant(obj, user) -> None:
    """A row created by tenant staff belongs to their tenant, whatever the input said."""
    if user_tenant_id(user) is not None and _has_tenant_field(obj):
        obj.tenant_id = user_tenant_id(user)


def _writable(request, obj) -> bool:
    if obj is None or user_tenant_id(request.user) is None:
        return True
    writable = scope_for_user(type(obj)._default_manager.all(), request.user, write=True)
    return writable.filter(pk=obj.pk).exists()


def scope_for_user(queryset, user, *, write: bool = False):
    """Rows of `queryset` the user may read (or, with `write`, change)."""
    if write and user_tenant_id(user) is not None and not tenant_may_write(queryset.model):
        return queryset.none()
    if isinstance(queryset, TenantQuerySet):
        return queryset.for_user(user, write=write)
    if user_tenant_id(user) is not None and (
        write or not getattr(queryset.model, "tenancy_platform_shared", False)
    ):
        # Vendor-wide models are read-only for tenant staff; any other model is hidden.
        return queryset.none()
    return queryset


def tenant_may_write(model) -> bool:
    """Tenant staff write only their tenant's data, and never the Tenant row itself (its
    `is_active` is how the platform switches a customer off): `tenancy_platform_owned`."""
    return holds_tenant_data(model) and not getattr(model, "tenancy_platform_owned", False)


def tenant_model():
    """The Tenant model, named by RELAIS_TENANT_MODEL: core imports no domain app."""
    return apps.get_model(settings.RELAIS_TENANT_MODEL)


def holds_tenant_data(model) -> bool:
    Tenant = tenant_model()  # noqa: N806
    if getattr(model, "tenant_lookup", None):
        return True
    return any(
        getattr(f, "related_model", None) is Tenant and f.name == "tenant" and f.concrete
        for f in model._meta.get_fields()
    )


def __getattr__(name: str):
    # `from core.tenancy import TenantScopedAdmin`, as before the admin's theme: the class
    # lives in core.tenancy_admin because the theme's module needs the user model, which
    # this module's models are imported before.
    if name == "TenantScopedAdmin":
        from .tenancy_admin import TenantScopedAdmin

        return TenantScopedAdmin
    raise AttributeError(name)
