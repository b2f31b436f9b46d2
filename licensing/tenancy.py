"""Tenant scoping, written once.

Every model that holds a tenant's data either inherits `TenantOwnedModel` (a `tenant`
foreign key) or declares `tenant_lookup` (the path to its tenant, e.g. "device__tenant")
and uses `TenantQuerySet`. Vendor-wide models that tenant staff may read (products,
policies) say so with `tenancy_platform_shared = True`; any other model is hidden from
them. Admins inherit `TenantScopedAdmin`, API viewsets `TenantScopedViewSetMixin`;
`licensing.checks` fails the start when a model or an admin forgets. Platform staff (a
user without a tenant) see everything; tenant staff see only their tenant's rows.
"""

from django.contrib import admin
from django.db import models
from django.db.models import Q


def user_tenant_id(user):
    """The tenant a user is confined to, or None for platform staff."""
    return getattr(user, "tenant_id", None)


def user_is_platform_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user_tenant_id(user) is None)


class TenantQuerySet(models.QuerySet):
    def _lookup(self) -> str:
        return getattr(self.model, "tenant_lookup", "tenant")

    def for_tenant(self, tenant):
        tenant_id = getattr(tenant, "pk", tenant)
        lookup = self._lookup()
        condition = Q(**{lookup: tenant_id})
        if getattr(self.model, "tenant_shared_when_null", False):
            # Rows without a tenant (e.g. unrestricted releases) are shared by all tenants.
            condition |= Q(**{f"{lookup}__isnull": True})
        return self.filter(condition)

    def for_user(self, user):
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        tenant_id = user_tenant_id(user)
        if tenant_id is None:
            return self if user.is_staff or user.is_superuser else self.none()
        return self.for_tenant(tenant_id)


class TenantOwnedModel(models.Model):
    tenant = models.ForeignKey("licensing.Tenant", on_delete=models.PROTECT)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class TenantScopedAdmin(admin.ModelAdmin):
    """Tenant staff see, create and choose in foreign keys only their tenant's rows."""

    def get_queryset(self, request):
        return scope_for_user(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_for_user(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_for_user(field.queryset, request.user)
        return field

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if user_tenant_id(request.user) is not None and _has_tenant_field(self.model):
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if user_tenant_id(request.user) is not None:
            filters = [f for f in filters if f != "tenant"]
        return filters

    def save_model(self, request, obj, form, change):
        if not change and user_tenant_id(request.user) is not None and _has_tenant_field(obj):
            obj.tenant_id = user_tenant_id(request.user)
        super().save_model(request, obj, form, change)


class TenantScopedViewSetMixin:
    """API viewsets: every queryset restricted to the caller's tenant, new rows pinned to it."""

    def get_queryset(self):
        return scope_for_user(super().get_queryset(), self.request.user)

    def tenant_for_create(self, requested_tenant=None):
        """The tenant a new row belongs to: the caller's own for tenant staff."""
        tenant_id = user_tenant_id(self.request.user)
        if tenant_id is None:
            return requested_tenant
        from licensing.models import Tenant

        return Tenant.objects.get(pk=tenant_id)


def _has_tenant_field(model) -> bool:
    return any(f.name == "tenant" for f in model._meta.get_fields())


def scope_for_user(queryset, user):
    if isinstance(queryset, TenantQuerySet):
        return queryset.for_user(user)
    if user_tenant_id(user) is not None and not getattr(
        queryset.model, "tenancy_platform_shared", False
    ):
        # A model that is neither tenant data nor declared shared is not for tenant staff.
        return queryset.none()
    return queryset


def holds_tenant_data(model) -> bool:
    from licensing.models import Tenant

    if getattr(model, "tenant_lookup", None):
        return True
    return any(
        getattr(f, "related_model", None) is Tenant and f.name == "tenant" and f.concrete
        for f in model._meta.get_fields()
    )
