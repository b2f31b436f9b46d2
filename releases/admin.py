from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from core.admin_actions import ServiceAdmin, apply_each
from core.admin_lists import FleetListMixin
from core.exceptions import ApiError
from core.tenancy import pin_tenant, scope_for_user
from core.tenancy_admin import TenantScopedAdmin

from .models import Artifact, Release, UpdateSession
from .rollout_admin import RolloutAdmin, force_update_view  # noqa: F401 (registers it)
from .services import releases as services


class ArtifactInline(TabularInline):
    """Upload artifacts from the release page; the service hashes and stores them."""

    model = Artifact
    extra = 1
    fields = ["platform", "file", "signature", "filename", "size", "sha256"]
    readonly_fields = ["filename", "size", "sha256"]

    def has_change_permission(self, request, obj=None):
        return False  # an artifact is immutable: delete it and upload another

    def has_add_permission(self, request, obj=None):
        is_draft = obj is None or obj.status == Release.Status.DRAFT
        return is_draft and super().has_add_permission(request, obj)


def _report(request, exc: ApiError):
    messages.error(request, f"{exc.code}: {exc.message}")


@admin.register(Release)
class ReleaseAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "releases", "new_releases", 10
    list_display = [
        "__str__",
        "version",
        "channel",
        "status",
        "is_mandatory",
        "is_stepping_stone",
        "tenant",
        "published_at",
        "downloads",
    ]
    list_filter = ["product", "status", "channel", "is_mandatory"]
    search_fields = ["version", "product__name", "notes"]
    list_select_related = ["product", "tenant"]
    inlines = [ArtifactInline]
    actions = ["publish", "yank"]

    def has_delete_permission(self, request, obj=None):
        return False  # yank instead: devices and update sessions refer to releases

    def get_urls(self):
        from django.urls import path

        force = path(
            "<path:object_id>/force/",
            self.admin_site.admin_view(
                lambda request, object_id: force_update_view(self, request, object_id)
            ),
            name="releases_release_force",
        )
        return [force, *super().get_urls()]

    readonly_fields = ["status", "published_at", "created_at", "downloads"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "product", "version"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changed = {f: data[f] for f in form.changed_data if f in services.RELEASE_EDITABLE}
            stored = Release.objects.get(pk=obj.pk)
            services.release_update(release=stored, actor=request.user, **changed)
            obj.refresh_from_db()
            return
        obj.tenant = data.get("tenant")
        pin_tenant(obj, request.user)
        created = services.release_create(
            actor=request.user,
            product=data["product"],
            version=data["version"],
            channel=data["channel"],
            notes=data.get("notes", ""),
            is_mandatory=data.get("is_mandatory", False),
            tenant=obj.tenant,
            is_stepping_stone=data.get("is_stepping_stone", False),
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None)
            if not data:
                continue
            try:
                if data.get("DELETE") and data.get("id"):
                    services.artifact_delete(artifact=data["id"], actor=request.user)
                    formset.deleted_objects.append(data["id"])
                elif not data.get("id") and data.get("file"):
                    artifact = services.artifact_create(
                        actor=request.user,
                        release=form.instance,
                        file=data["file"],
                        platform=data.get("platform") or "any",
                        filename=data["file"].name,
                        signature=data.get("signature", ""),
                    )
                    formset.new_objects.append(artifact)
            except ApiError as exc:
                _report(request, exc)

    def _each(self, request, queryset, service, done):
        apply_each(request, queryset, service, arg="release", done=done)

    @admin.action(description=_("Publish selected releases"), permissions=["change"])
    def publish(self, request, queryset):
        self._each(
            request, queryset, services.release_publish, _("%(count)d release(s) published.")
        )

    @admin.action(description=_("Yank selected releases"), permissions=["change"])
    def yank(self, request, queryset):
        self._each(request, queryset, services.release_yank, _("%(count)d release(s) yanked."))


class ReadOnlyAdmin(TenantScopedAdmin):
    """Written by services elsewhere (artifacts on their release's page, sessions by
    devices): listed and read here only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    nav_group, nav_icon, nav_order = "releases", "inventory_2", 30
    list_display = ["__str__", "platform", "filename", "size", "sha256", "created_at"]
    list_filter = ["platform", "release__product"]
    search_fields = ["filename", "sha256", "release__version"]
    list_select_related = ["release", "release__product"]


class ToVersionFilter(admin.SimpleListFilter):
    """The versions of the releases the user may read, not a SELECT DISTINCT over every
    update session on each render of the list."""

    title = UpdateSession._meta.get_field("to_version").verbose_name
    parameter_name = "to_version"

    def lookups(self, request, model_admin):
        releases = scope_for_user(Release.objects.all(), request.user)
        versions = releases.order_by("-major", "-minor", "-patch", "-prerelease", "version")
        seen = dict.fromkeys(versions.values_list("version", flat=True))
        return [(v, v) for v in seen]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(to_version=value) if value else queryset


@admin.register(UpdateSession)
class UpdateSessionAdmin(FleetListMixin, ReadOnlyAdmin):
    nav_group, nav_icon, nav_order = "releases", "system_update", 40
    list_display = [
        "device",
        "from_version",
        "to_version",
        "status",
        "percent",
        "updated_at",
        "completed_at",
    ]
    list_filter = ["status", "release__product", ToVersionFilter]
    search_fields = ["device__hardware_id", "device__name", "to_version"]
    list_select_related = ["device", "release"]
    hardware_id_field = "device__hardware_id"
