"""Admin of synced documents and their revisions (seed 004)."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ServiceAdmin, apply_each
from core.admin_secrets import secret_page_url
from core.tenancy import pin_tenant, user_tenant_id
from core.tenancy_admin import TenantScopedAdmin

from . import services
from .models import BrowserOrigin, PublishableKey, SyncDocument, SyncDocumentRevision


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


@admin.register(PublishableKey)
class PublishableKeyAdmin(ServiceAdmin):
    """Read keys of public frontends: the key is shown once, on the page after creation;
    "revoke" ends it."""

    nav_group, nav_icon, nav_order = "integrations", "vpn_key", 60

    list_display = ["prefix", "name", "tenant", "documents", "created_at", "revoked_at"]
    list_filter = ["tenant"]
    search_fields = ["prefix", "name"]
    list_select_related = ["tenant"]
    readonly_fields = ["prefix", "created_at", "revoked_at"]
    actions = ["revoke"]
    update_service = staticmethod(services.publishable_key_update)

    def get_fields(self, request, obj=None):
        fields = ["tenant", "name", "documents", *self.readonly_fields]
        if user_tenant_id(request.user) is not None:
            fields.remove("tenant")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["tenant"] if obj else [])]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the events name it

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        pin_tenant(obj, request.user)
        issued = services.publishable_key_create(
            tenant=obj.tenant,
            name=form.cleaned_data.get("name", ""),
            documents=form.cleaned_data["documents"],
            actor=request.user,
        )
        obj.pk = issued.publishable_key.pk
        obj.refresh_from_db()
        request.relais_secret_url = secret_page_url(
            request,
            title=_("Publishable key (shown once)"),
            secrets_shown=[(str(obj.name or obj.tenant), issued.key)],
            back=reverse("admin:documents_publishablekey_changelist"),
        )

    def response_add(self, request, obj, post_url_continue=None):
        if url := getattr(request, "relais_secret_url", None):
            return HttpResponseRedirect(url)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        apply_each(
            request,
            queryset,
            services.publishable_key_revoke,
            arg="publishablekey",
            done=_("%(count)d key(s) revoked."),
        )


@admin.register(BrowserOrigin)
class BrowserOriginAdmin(ServiceAdmin):
    """Origins of a tenant's frontends (CORS; where its publishable keys are accepted)."""

    nav_group, nav_icon, nav_order = "integrations", "language", 70

    list_display = ["origin", "tenant", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["origin"]
    list_select_related = ["tenant"]
    actions = ["delete_origins"]

    def get_fields(self, request, obj=None):
        if user_tenant_id(request.user) is not None:
            return ["origin"]
        return ["tenant", "origin"]

    def get_readonly_fields(self, request, obj=None):
        return ["tenant", "origin"] if obj else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # through the service: CORS forgets it at once
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            return
        pin_tenant(obj, request.user)
        row = services.browser_origin_create(
            tenant=obj.tenant, origin=form.cleaned_data["origin"], actor=request.user
        )
        obj.pk = row.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.browser_origin_delete(browserorigin=obj, actor=request.user)

    @admin.action(description=_("Delete the selected origins"), permissions=["delete"])
    def delete_origins(self, request, queryset):
        apply_each(
            request,
            queryset,
            services.browser_origin_delete,
            arg="browserorigin",
            done=_("%(count)d origin(s) deleted."),
        )
