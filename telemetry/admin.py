from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ServiceAdmin, apply_each
from core.tenancy_admin import TenantScopedAdmin
from devices.admin import DeviceAdmin
from devices.models import Device

from . import selectors
from .models import Alert, AlertRule, TelemetryReport
from .services import staff as services


class OpenFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


@admin.register(Alert)
class AlertAdmin(TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "fleet", "notifications_active", 20
    list_display = [
        "metric",
        "severity",
        "status",
        "device",
        "tenant",
        "value",
        "threshold",
        "opened_at",
        "resolved_at",
        "acknowledged_by",
    ]
    list_filter = ["status", "severity", "metric", OpenFilter, "tenant"]
    search_fields = ["device__hardware_id", "device__name", "metric"]
    list_select_related = ["device", "tenant"]
    show_full_result_count = False
    date_hierarchy = None
    actions = ["acknowledge", "resolve"]
    change_list_template = "admin/telemetry/alert/change_list.html"
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False  # alerts are opened by ingest and the offline sweep

    def changelist_view(self, request, extra_context=None):
        extra = {"fleet_health": selectors.fleet_health(user=request.user)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    @admin.action(description=_("Acknowledge selected alerts"), permissions=["change"])
    def acknowledge(self, request, queryset):
        apply_each(
            request,
            queryset,
            services.alert_acknowledge,
            arg="alert",
            done=_("%(count)d alert(s) acknowledged."),
        )

    @admin.action(description=_("Resolve selected alerts"), permissions=["change"])
    def resolve(self, request, queryset):
        apply_each(
            request,
            queryset,
            services.alert_resolve,
            arg="alert",
            done=_("%(count)d alert(s) resolved."),
        )


@admin.register(AlertRule)
class AlertRuleAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "fleet", "rule", 40
    list_display = ["metric", "tenant", "product", "warning", "critical", "margin", "is_enabled"]
    list_filter = ["metric", "is_enabled", "product", "tenant"]
    list_select_related = ["tenant", "product"]
    create_service = staticmethod(services.alert_rule_create)
    update_service = staticmethod(services.alert_rule_update)

    def get_readonly_fields(self, request, obj=None):
        return ["tenant", "product", "metric"] if obj is not None else []

    def service_fields(self, request, form) -> dict:
        fields = dict(form.cleaned_data)
        if "tenant" not in fields:  # tenant staff: their own tenant
            fields["tenant_id"] = request.user.tenant_id
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            changed = {f: form.cleaned_data[f] for f in form.changed_data}
            row = AlertRule.objects.get(pk=obj.pk)
            if changed:
                services.alert_rule_update(alertrule=row, actor=request.user, **changed)
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.alert_rule_delete(alertrule=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.alert_rule_delete(alertrule=rule, actor=request.user)


@admin.register(TelemetryReport)
class TelemetryReportAdmin(TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "fleet", "monitoring", 30
    list_display = ["received_at", "kind", "device", "tenant", "version", "uptime"]
    list_filter = ["kind"]
    list_select_related = ["device", "tenant"]
    show_full_result_count = False  # no COUNT(*) over millions of rows
    readonly_fields = [f.name for f in TelemetryReport._meta.fields]
    raw_id_fields = ["device"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The device page gains its latest metrics and a 24-hour chart: the devices app knows nothing
# of telemetry (imports run one way), so its admin is extended here.
admin.site.unregister(Device)


@admin.register(Device)
class DeviceWithTelemetryAdmin(DeviceAdmin):
    readonly_fields = [*DeviceAdmin.readonly_fields, "latest_metrics"]
    fields = [*DeviceAdmin.fields, "latest_metrics"]

    @admin.display(description=_("latest metrics"))
    def latest_metrics(self, obj):
        latest = selectors.latest_metrics(device_id=obj.pk)
        if latest is None:
            return _("No report yet.")
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td></tr>", sorted(latest.metrics.items())
        )
        when = latest.reported_at or latest.received_at
        return format_html(
            "<table>{}</table><p>{} {}</p>", rows, _("Reported at"), when.isoformat()
        )
