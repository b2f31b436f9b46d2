"""Admin of synced documents and their revisions (seed 004)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ServiceAdmin, apply_each
from core.tenancy import pin_tenant, user_tenant_id
from core.tenancy_admin import TenantScopedAdmin

from . import services
from .models import SyncDocument, SyncDocumentRevision


@admin.register(SyncDocument)
class SyncDocumentAdmin(ServiceAdmin):
    """Documents are written through the services: merged with what is stored (preserved
    fields keep their values), a revision and a `document.updated` event per change."""

    nav_group, nav_icon, nav_order = "integrations", "description", 40

    list_display = ["name", "tenant", "version", "updated_by", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["name"]
    list_select_related = ["tenant", "updated_by"]
    readonly_fields = ["version", "updated_by", "created_at", "updated_at", "revision_history"]

    def get_fields(self, request, obj=None):
        fields = ["tenant", "name", "data", "preserve_fields", *self.readonly_fields]
        if user_tenant_id(request.user) is not None:
            fields.remove("tenant")  # theirs, pinned on save
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["tenant", "name"] if obj else [])]

    @admin.display(description=_("Revisions"))
    def revision_history(self, obj):
        """The latest writes, newest first, each linking to its revision (diff, restore)."""
        if obj is None or obj.pk is None:
            return "-"
        rows = obj.revisions.order_by("-version")[:20]
        return format_html_join(
            "",
            '<div><a href="{}">v{}</a> — {} — {} — {}</div>',
            (
                (
                    reverse("admin:documents_syncdocumentrevision_change", args=[r.pk]),
                    r.version,
                    r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.actor_label,
                    ", ".join(map(str, r.changed)) or "-",
                )
                for r in rows
            ),
        )

    def save_model(self, request, obj, form, change):
        fields = {f: form.cleaned_data[f] for f in ("data", "preserve_fields")}
        if not change:
            pin_tenant(obj, request.user)
            row = services.document_create(
                tenant=obj.tenant, name=obj.name, actor=request.user, **fields
            )
            obj.pk = row.pk
        else:
            stored = SyncDocument.objects.get(pk=obj.pk)
            services.document_update(document=stored, actor=request.user, **fields)
        obj.refresh_from_db()


@admin.register(SyncDocumentRevision)
class SyncDocumentRevisionAdmin(TenantScopedAdmin):
    """Every write of a document, read-only; the "restore" action writes one back."""

    nav_group, nav_icon, nav_order = "integrations", "history", 50

    list_display = ["document", "version", "actor_label", "created_at", "restored_from"]
    list_filter = ["document__tenant", "document__name"]
    search_fields = ["document__name", "actor_label"]
    list_select_related = ["document", "restored_from"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "document",
        "version",
        "actor_label",
        "created_at",
        "changed",
        "patch",
        "data",
        "restored_from",
    ]
    actions = ["restore"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_restore_permission(self, request):
        return request.user.has_perm("documents.change_syncdocument")

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if user_tenant_id(request.user) is not None:
            filters = [f for f in filters if f != "document__tenant"]
        return filters

    @admin.action(description=_("Restore the selected revisions"), permissions=["restore"])
    def restore(self, request, queryset):
        apply_each(
            request,
            queryset.select_related("document__tenant"),
            services.document_restore,
            arg="revision",
            done=_("%(count)d revision(s) restored."),
        )
