from django.contrib import admin

from core.admin_actions import ServiceAdmin
from core.tenancy import TenantScopedAdmin, tenant_model, user_tenant_id

from .models import Notification, Recipient
from .services import recipients as services


@admin.register(Recipient)
class RecipientAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "integrations", "contact_mail", 80
    list_display = ["email", "name", "tenant", "is_active", "unsubscribed_at", "last_sent_at"]
    list_filter = ["is_active", "tenant"]
    search_fields = ["email", "name"]
    fields = ["tenant", "email", "name", "kinds", "is_active", "unsubscribed_at", "last_sent_at"]
    readonly_fields = ["unsubscribed_at", "last_sent_at"]
    update_service = services.recipient_update

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        tenant = data.get("tenant")
        if user_tenant_id(request.user) is not None:
            tenant = tenant_model().objects.get(pk=user_tenant_id(request.user))
        created = services.recipient_create(
            actor=request.user,
            tenant=tenant,
            email=data["email"],
            name=data.get("name", ""),
            kinds=data.get("kinds") or [],
            is_active=data.get("is_active", True),
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.recipient_delete(recipient=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for recipient in queryset:
            services.recipient_delete(recipient=recipient, actor=request.user)


@admin.register(Notification)
class NotificationAdmin(TenantScopedAdmin):
    """What was (or will be) told: read-only, written by the event subscriber."""

    nav_group, nav_icon, nav_order = "integrations", "mail", 90

    list_display = ["event_type", "kind", "tenant", "created_at"]
    list_filter = ["kind", "event_type", "tenant"]
    readonly_fields = ["tenant", "kind", "event_type", "payload", "created_at"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
