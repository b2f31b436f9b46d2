"""The backoffice side of remote commands: the command list (read, cancel) and, on the
device list, one "Send command" action per type, each with its own form."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ServiceAdmin, apply_each
from core.admin_forms import ThemedForm
from core.exceptions import ApiError
from core.tenancy import scope_for_user
from core.tenancy_admin import TenantScopedAdmin
from devices.admin import DeviceAdmin
from releases.models import Release

from . import services as commands
from .command_types import SERVICES, config_check
from .models import DeviceCommand, MediaVideo, SiteVideo
from .selectors import config_diff, site_configurations


@admin.register(DeviceCommand)
class DeviceCommandAdmin(TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "fleet", "terminal", 50
    list_display = ["type", "device", "tenant", "status", "created_at", "completed_at"]
    list_filter = ["status", "type", "tenant"]
    list_select_related = ["device", "tenant"]
    search_fields = ["device__hardware_id", "device__name", "type"]
    readonly_fields = [
        "id",
        "tenant",
        "device",
        "type",
        "data",
        "release",
        "video",
        "status",
        "result",
        "error",
        "created_by",
        "created_at",
        "expires_at",
        "delivered_at",
        "completed_at",
    ]
    actions = ["cancel"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # sent from the device list, one form per type

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel selected open commands"), permissions=["change"])
    def cancel(self, request, queryset):
        apply_each(
            request,
            queryset,
            commands.command_cancel,
            arg="devicecommand",
            done=_("%(count)d command(s) cancelled."),
        )


@admin.register(MediaVideo)
class MediaVideoAdmin(ServiceAdmin):
    """The tenant's media library: upload a video; its size and sha256 are the server's."""

    nav_group, nav_icon, nav_order = "fleet", "movie", 55
    list_display = ["title", "category", "subcategory", "tenant", "size", "created_at"]
    list_filter = ["category", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["title", "category", "subcategory", "filename"]
    fields = ["tenant", "title", "category", "subcategory", "duration", "file"]
    create_service = staticmethod(commands.media_video_create)
    update_service = staticmethod(commands.media_video_update)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["tenant", "file", "filename", "size", "sha256", "created_at"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None:
            fields = [*fields, "filename", "size", "sha256", "created_at"]
        return fields

    def service_fields(self, request, form) -> dict:
        fields = dict(form.cleaned_data)
        if "tenant" not in fields:  # tenant staff: their own tenant
            fields["tenant"] = request.user.tenant_id
        return fields

    def delete_model(self, request, obj):
        commands.media_video_delete(mediavideo=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for video in queryset:
            commands.media_video_delete(mediavideo=video, actor=request.user)


@admin.register(SiteVideo)
class SiteVideoAdmin(TenantScopedAdmin):
    """What each site holds, as its agent reported (deploy_video / delete_video results)."""

    nav_group, nav_icon, nav_order = "fleet", "video_library", 56
    list_display = ["filename", "category", "subcategory", "device", "video", "deployed_at"]
    list_filter = ["category", "tenant"]
    list_select_related = ["device", "video", "tenant"]
    search_fields = ["filename", "device__hardware_id", "device__name"]

    def has_add_permission(self, request):
        return False  # kept from the agents' results

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- One form per command type (the seed's field names) ----------------------------------


class DeployVideoForm(ThemedForm):
    """A library video (URL presigned at delivery, sha256 and size in the command), or a
    video hosted elsewhere, by URL and the seed's fields."""

    video = forms.ModelChoiceField(
        queryset=MediaVideo.objects.all(),
        required=False,
        help_text=_("From the media library: the other fields are the video's own."),
    )
    videoUrl = forms.CharField(max_length=2000, required=False)
    filename = forms.CharField(max_length=255, required=False)
    originalName = forms.CharField(max_length=255, required=False)
    category = forms.CharField(max_length=255, required=False)
    subcategory = forms.CharField(max_length=255, required=False)
    videoId = forms.CharField(max_length=100, required=False)
    duration = forms.FloatField(min_value=0, required=False)

    def clean(self):
        data = super().clean()
        if data.get("video") is None:
            for name in ("videoUrl", "filename", "category"):
                if not data.get(name):
                    self.add_error(name, _("Required without a library video."))
        return data


class DeleteVideoForm(ThemedForm):
    filename = forms.CharField(max_length=255)
    category = forms.CharField(max_length=255)
    subcategory = forms.CharField(max_length=255, required=False)


class UpdateSoftwareForm(ThemedForm):
    release = forms.ModelChoiceField(
        queryset=Release.objects.filter(status=Release.Status.PUBLISHED),
        help_text=_("Download URL (presigned at delivery) and sha256 come from the release."),
    )


class UpdateConfigForm(ThemedForm):
    """The new configuration.json, checked (`version`, `categories`), then shown as a diff
    against each site's applied one before it is queued."""

    configuration = forms.JSONField(help_text=_("The new configuration.json, as JSON."))

    def clean_configuration(self):
        value = self.cleaned_data["configuration"]
        problems = config_check(value)
        if problems:
            raise forms.ValidationError(problems)
        return value


class RestartServiceForm(ThemedForm):
    service = forms.ChoiceField(choices=[(s, s) for s in SERVICES])


class GetLogsForm(ThemedForm):
    service = forms.ChoiceField(choices=[(s, s) for s in SERVICES])
    lines = forms.IntegerField(min_value=1, max_value=10_000, initial=100)


FORMS = {
    "deploy_video": DeployVideoForm,
    "delete_video": DeleteVideoForm,
    "update_software": UpdateSoftwareForm,
    "update_config": UpdateConfigForm,
    "reboot": forms.Form,
    "restart_service": RestartServiceForm,
    "get_logs": GetLogsForm,
    "get_system_info": forms.Form,
}


def _send(request, queryset, type_: str, form) -> None:
    fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    release = fields.pop("release", None)
    video = fields.pop("video", None)
    if video is not None:
        fields = {}

    def service(*, device, actor):
        return commands.command_create(
            device=device, type=type_, data=fields, release=release, video=video, actor=actor
        )

    apply_each(request, queryset, service, arg="device", done=_("%(count)d command(s) queued."))


def send_command_action(type_: str):
    form_class = FORMS[type_]

    def action(modeladmin, request, queryset):
        if not request.user.has_perm("commands.add_devicecommand"):
            raise PermissionDenied
        form = form_class(request.POST if "apply" in request.POST else None)
        for name in ("release", "video"):
            if name in form.fields:
                field = form.fields[name]
                field.queryset = scope_for_user(field.queryset, request.user)
        diffs = None
        applying = "apply" in request.POST and form.is_valid()
        if applying and type_ == "update_config" and "confirm" not in request.POST:
            # First the diff against each site's applied configuration, then the queueing.
            applied = site_configurations(queryset)
            new = form.cleaned_data["configuration"]
            diffs = [
                (device, config_diff(applied.get(device.pk), new) or _("No change."))
                for device in queryset
            ]
        if "apply" in request.POST and form.is_valid() and diffs is None:
            try:
                _send(request, queryset, type_, form)
            except ApiError as exc:
                messages.error(request, exc.message)
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Send %(type)s") % {"type": type_},
            "command_type": type_,
            "form": form,
            "diffs": diffs,
            "devices": queryset,
            "action": f"send_{type_}",
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/commands/send_command.html", context)

    action.__name__ = f"send_{type_}"
    action.short_description = _("Send command: %(type)s") % {"type": type_}
    action.allowed_permissions = ["change"]
    return action


DeviceAdmin.actions = [*DeviceAdmin.actions, *(send_command_action(t) for t in FORMS)]
