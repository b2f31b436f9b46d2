"""The event log (read-only), and admin login records (django-axes), for platform staff only.

They hold every tenant's usernames and addresses, so they are registered here rather than
by axes (AXES_ENABLE_ADMIN = False) through TenantScopedAdmin, which hides models that are
not a tenant's from tenant staff, whatever permissions they are given.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from .models import Event
from .tenancy_admin import TenantScopedAdmin

# The payload's keys that name an event's object, most specific first.
SUBJECT_KEYS = [
    "deviceId",
    "rolloutId",
    "releaseId",
    "licenseId",
    "keyPrefix",
    "endpointId",
    "commandId",
    "alertId",
    "name",
    "version",
    "slug",
]


@admin.register(AccessAttempt)
class LoginAttemptAdmin(TenantScopedAdmin, AccessAttemptAdmin):
    nav_group, nav_icon, nav_order = "security", "lock_person", 30


@admin.register(AccessLog)
class LoginLogAdmin(TenantScopedAdmin, AccessLogAdmin):
    nav_group, nav_icon, nav_order = "security", "login", 40


@admin.register(AccessFailureLog)
class LoginFailureLogAdmin(TenantScopedAdmin, AccessFailureLogAdmin):
    nav_group, nav_icon, nav_order = "security", "gpp_bad", 50


@admin.register(Event)
class EventAdmin(TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "security", "manage_search", 20
    """The audit view: who did what, when, filterable by type, tenant and actor; the
    search also reads the payload, which names the object (`?q=<id or key prefix>`)."""

    list_display = ["created_at", "type", "actor_label", "tenant", "subject"]
    list_filter = ["type", "tenant", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["type", "actor_label", "payload"]
    show_full_result_count = False  # the log grows without bound
    date_hierarchy = "created_at"
    readonly_fields = ["type", "tenant", "actor", "actor_label", "payload", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("object"))
    def subject(self, event):
        payload = event.payload if isinstance(event.payload, dict) else {}
        for key in SUBJECT_KEYS:
            if payload.get(key):
                return f"{key}: {payload[key]}"
        return ""


# Permission groups are the platform's (tenant staff get theirs): themed and under Security.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TenantScopedAdmin):
    """Django's GroupAdmin, on the theme."""

    nav_group, nav_icon, nav_order = "security", "groups", 15
    search_fields = ["name"]
    ordering = ["name"]
    filter_horizontal = ["permissions"]
