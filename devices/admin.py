from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_actions import apply_each
from core.admin_lists import FleetListMixin
from core.admin_secrets import redirect_to_secrets
from core.tenancy_admin import TenantScopedAdmin

from .models import Device
from .services import devices as services


class PlatformFilter(admin.SimpleListFilter):
    """The platforms Relais knows (RELAIS_PLATFORMS), not a SELECT DISTINCT over every
    device on each render of the list."""

    title = Device._meta.get_field("platform").verbose_name
    parameter_name = "platform"

    def lookups(self, request, model_admin):
        return [(p, p) for p in settings.RELAIS_PLATFORMS]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(platform=value) if value else queryset


@admin.register(Device)
class DeviceAdmin(FleetListMixin, TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "fleet", "devices", 10
    list_display = [
        "__str__",
        "hardware_id",
        "tenant",
        "product",
        "app_version",
        "platform",
        "channel",
        "status",
        "last_seen_at",
    ]
    list_filter = ["status", "channel", "product", PlatformFilter, "tenant"]
    search_fields = ["hardware_id", "name"]
    list_select_related = ["tenant", "product"]
    readonly_fields = [
        "id",
        "tenant",
        "license",
        "product",
        "hardware_id",
        "os_version",
        "platform",
        "app_version",
        "status",
        "token_prefix",
        "last_seen_at",
        "created_at",
        "deactivated_at",
    ]
    fields = [*readonly_fields[:5], "name", "channel", "tags", "metadata", *readonly_fields[5:]]
    actions = ["deactivate", "rotate_token"]

    def has_add_permission(self, request):
        return False  # devices register themselves with a license key

    def save_model(self, request, obj, form, change):
        changed = {f: form.cleaned_data[f] for f in form.changed_data}
        stored = Device.objects.get(pk=obj.pk)
        services.device_update(device=stored, actor=request.user, **changed)
        obj.refresh_from_db()

    @admin.action(
        description=_("Deactivate selected devices (frees their seats)"), permissions=["change"]
    )
    def deactivate(self, request, queryset):
        apply_each(
            request,
            queryset,
            services.device_deactivate,
            arg="device",
            done=_("%(count)d device(s) deactivated."),
        )

    @admin.action(description=_("Rotate the token of selected devices"), permissions=["change"])
    def rotate_token(self, request, queryset):
        tokens = [
            (str(device), services.device_rotate_token(device=device, actor=request.user))
            for device in queryset
        ]
        return redirect_to_secrets(
            request,
            title=_("Device tokens (shown once)"),
            secrets_shown=tokens,
            back=request.get_full_path(),
        )
