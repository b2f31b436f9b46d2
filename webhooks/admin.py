from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ServiceAdmin, apply_each
from core.tenancy import tenant_model, user_tenant_id
from core.tenancy_admin import TenantScopedAdmin

from . import services as webhooks
from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "integrations", "webhook", 10
    list_display = ["__str__", "url", "tenant", "is_active", "last_success_at", "failing_since"]
    list_filter = ["is_active", "tenant"]
    search_fields = ["url", "description"]
    fields = [
        "tenant",
        "url",
        "description",
        "event_types",
        "is_active",
        "last_success_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    readonly_fields = [
        "is_active",
        "last_success_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    update_service = webhooks.endpoint_update
    actions = ["send_test", "enable", "disable", "rotate_secret"]
    # Django 6.0's default, taken now: a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        tenant = data.get("tenant")
        if user_tenant_id(request.user) is not None:
            tenant = tenant_model().objects.get(pk=user_tenant_id(request.user))
        created = webhooks.endpoint_create(
            actor=request.user,
            url=data["url"],
            tenant=tenant,
            event_types=data.get("event_types") or [],
            description=data.get("description", ""),
        )
        obj.pk = created.endpoint.pk
        obj.refresh_from_db()
        self._show_secret(request, obj, created.secret)

    def _show_secret(self, request, endpoint, secret):
        messages.warning(
            request,
            _("Signing secret of %(endpoint)s (shown once, copy it now): %(secret)s")
            % {"endpoint": endpoint, "secret": secret},
        )

    def _each(self, request, queryset, service, done):
        apply_each(request, queryset, service, arg="webhookendpoint", done=done)

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test(self, request, queryset):
        self._each(request, queryset, webhooks.endpoint_send_test, _("%(count)d test(s) queued."))

    @admin.action(description=_("Enable selected endpoints"), permissions=["change"])
    def enable(self, request, queryset):
        self._each(request, queryset, webhooks.endpoint_enable, _("%(count)d endpoint(s) enabled."))

    @admin.action(description=_("Disable selected endpoints"), permissions=["change"])
    def disable(self, request, queryset):
        self._each(
            request, queryset, webhooks.endpoint_disable, _("%(count)d endpoint(s) disabled.")
        )

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.endpoint_rotate_secret(webhookendpoint=endpoint, actor=request.user)
            self._show_secret(request, endpoint, secret)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "integrations", "outbox", 20
    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "duration_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event__type", "endpoint"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["event__type", "endpoint__url"]
    readonly_fields = [
        "webhook_id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_status",
        "last_response",
        "duration_ms",
        "error",
        "created_at",
    ]
    exclude = ["response_body"]
    actions = ["redeliver"]
    show_full_result_count = False

    @admin.display(description=_("event"))
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description=_("last response body (truncated)"))
    def last_response(self, obj):
        return format_html("<pre>{}</pre>", obj.response_body)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Redeliver now (same webhook-id)"), permissions=["change"])
    def redeliver(self, request, queryset):
        apply_each(
            request,
            queryset,
            webhooks.delivery_redeliver,
            arg="webhookdelivery",
            done=_("%(count)d delivery(ies) queued again."),
        )
