"""The admin half of tenant scoping (core.tenancy holds the rules): every ModelAdmin of the
backoffice inherits `TenantScopedAdmin`, themed by django-unfold. Separate from core.tenancy
because the theme imports the user model, which imports core.tenancy."""

from django.contrib import admin
from django.db import models
from django.http import JsonResponse
from rest_framework.permissions import SAFE_METHODS
from unfold.admin import ModelAdmin as ThemedModelAdmin

from . import validators
from .admin_site import has_page_sections, page_sections
from .filters import admin_query_in_utc
from .tenancy import (
    _has_tenant_field,
    _writable,
    pin_tenant,
    scope_for_user,
    tenant_may_write,
    user_tenant_id,
)


class TenantScopedAdmin(ThemedModelAdmin):
    """Tenant staff see, create and choose in foreign keys only their tenant's rows, and
    change none that is shared (a POST acts on the write scope). Themed by django-unfold;
    `nav_group` places the model in the sidebar (core.admin_site.NAV_GROUPS)."""

    nav_group: str | None = None
    nav_icon: str | None = None
    nav_order: int = 100
    # Sections other apps add to the object page (core.admin_site.page_section_register).
    change_form_after_template = "admin/relais/page_sections.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = None
        if object_id and has_page_sections(self.model):
            obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context["page_sections"] = page_sections(request, obj)
        return super().change_view(request, object_id, form_url, context)

    def get_queryset(self, request):
        write = request.method not in SAFE_METHODS
        return scope_for_user(super().get_queryset(request), request.user, write=write)

    def changelist_view(self, request, extra_context=None):
        try:  # an offset PostgreSQL refuses (+23:36) would be a 500 at query time
            request.GET = admin_query_in_utc(request.GET)
        except ValueError as exc:
            return JsonResponse({"code": "VALIDATION_ERROR", "message": str(exc)}, status=400)
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request, *args):
        # Vendor-wide models (products, policies) and tenants are the platform's to create.
        if user_tenant_id(request.user) is not None and not tenant_may_write(self.model):
            return False
        return super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _writable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _writable(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Control characters are refused in forms as in the API (NUL in jsonb is a 500).
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            if isinstance(db_field, models.JSONField):
                field.validators.append(validators.json_document)
            elif isinstance(db_field, models.TextField):
                field.validators.append(validators.free_text)
            elif isinstance(db_field, models.CharField):
                field.validators.append(validators.single_line)
        return field

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

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if user_tenant_id(request.user) is not None and _has_tenant_field(self.model):
            fields = [f for f in fields if f != "tenant"]
        return fields

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if user_tenant_id(request.user) is not None and _has_tenant_field(self.model):
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        """Django builds a related filter's choices from every row of the related model:
        for tenant staff, a relation offers only the rows their list refers to, and filters
        across relations (`release__product`), whose values come from unscoped rows, go."""
        filters = list(super().get_list_filter(request))
        if user_tenant_id(request.user) is None:
            return filters
        scoped = []
        for entry in filters:
            if not isinstance(entry, str):
                scoped.append(entry)
            elif entry == "tenant" or "__" in entry:
                continue
            elif self.model._meta.get_field(entry).is_relation:
                scoped.append((entry, admin.RelatedOnlyFieldListFilter))
            else:
                scoped.append(entry)
        return scoped

    def save_model(self, request, obj, form, change):
        if not change:
            pin_tenant(obj, request.user)
        super().save_model(request, obj, form, change)
