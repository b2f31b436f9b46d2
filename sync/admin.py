from django.contrib import admin

from core.tenancy import TenantScopedAdmin

from .models import Event


@admin.register(Event)
class EventAdmin(TenantScopedAdmin):
    list_display = ["type", "tenant", "actor_label", "created_at"]
    list_filter = ["type", "tenant"]
    search_fields = ["type", "actor_label"]
    date_hierarchy = "created_at"
    readonly_fields = ["type", "tenant", "actor", "actor_label", "payload", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
