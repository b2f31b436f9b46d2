from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from core.admin_actions import ServiceAdmin, apply_each
from core.admin_secrets import redirect_to_secrets, secret_page_url
from core.exceptions import ApiError
from core.tenancy import user_tenant_id
from core.tenancy_admin import TenantScopedAdmin

from . import services
from .license_files import license_file_issue, license_file_name
from .models import ApiToken, License, Policy, Product, Tenant, User


@admin.register(Tenant)
class TenantAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "licensing", "apartment", 10
    create_service = services.tenant_create
    update_service = services.tenant_update
    activate_service = services.tenant_activate
    deactivate_service = services.tenant_deactivate
    list_display = ["name", "slug", "id", "language", "is_active", "created_at"]
    list_filter = ["is_active", "language"]
    search_fields = ["name", "slug", "id"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(TenantScopedAdmin, DjangoUserAdmin):
    nav_group, nav_icon, nav_order = "security", "group", 10
    form, add_form = UserChangeForm, UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "email", "tenant", "is_staff", "is_active"]
    list_filter = ["tenant", "is_staff", "is_superuser", "is_active"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Tenant"), {"fields": ["tenant"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "tenant", "password1", "password2"]}),
    ]
    autocomplete_fields = ["tenant"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if user_tenant_id(request.user) is None:
            return fieldsets
        # Tenant staff manage their colleagues but cannot move them, make superusers or
        # grant permissions (groups are the platform's: hidden, they stay as they were).
        hidden = {"tenant", "is_superuser", "user_permissions", "groups"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "licensing", "category", 20
    create_service = services.product_create
    update_service = services.product_update
    activate_service = services.product_activate
    deactivate_service = services.product_deactivate
    list_display = ["name", "slug", "distribution", "is_active", "created_at"]
    list_filter = ["distribution", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Policy)
class PolicyAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "licensing", "policy", 30
    create_service = services.policy_create
    update_service = services.policy_update
    activate_service = services.policy_activate
    deactivate_service = services.policy_deactivate
    list_display = [
        "name",
        "product",
        "max_devices",
        "duration",
        "max_validations",
        "offline_validity",
        "is_active",
    ]
    list_filter = ["product", "is_active"]
    search_fields = ["name", "product__name"]


@admin.register(License)
class LicenseAdmin(ServiceAdmin):
    nav_group, nav_icon, nav_order = "licensing", "key", 40
    list_display = [
        "key_prefix",
        "name",
        "tenant",
        "product",
        "status",
        "expires_at",
        "validation_count",
        "max_devices",
        "created_at",
    ]
    list_filter = ["status", "product", "tenant"]
    search_fields = ["key_prefix", "name", "tenant__name"]
    list_select_related = ["tenant", "product"]
    date_hierarchy = "created_at"
    actions = ["suspend", "reinstate", "revoke", "renew", "regenerate_key"]
    add_fields = ["tenant", "policy", "name", "expires_at", "updates_until"]
    change_readonly = [
        "display_key",
        "tenant",
        "product",
        "policy",
        "status",
        "validation_count",
        "last_validated_at",
        "created_at",
        "offline_license_file",
    ]

    @admin.display(description=_("Offline license file"))
    def offline_license_file(self, obj):
        url = reverse("admin:licensing_license_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download a signed license file…"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.license_file_view)
        return [
            path("<path:object_id>/license-file/", view, name="licensing_license_file"),
            *super().get_urls(),
        ]

    def license_file_view(self, request, object_id):
        """Choose a device (or the license alone), then get the signed file as a download.
        Whoever may see the license may download its file: it grants nothing the license
        does not."""
        license = self.get_object(request, object_id)  # tenant-scoped
        if license is None:
            raise Http404
        if not self.has_view_permission(request, license):
            raise PermissionDenied
        devices = license.devices.filter(status="active").order_by("hardware_id")
        if "device" not in request.GET:
            context = {
                **self.admin_site.each_context(request),
                "title": _("Offline license file"),
                "opts": self.opts,
                "original": license,
                "devices": devices[:500],
            }
            return TemplateResponse(request, "admin/licensing/license/license_file.html", context)
        device = None
        if request.GET["device"]:
            device = devices.filter(pk=request.GET["device"]).first()
            if device is None:
                messages.error(request, _("No such device on this license."))
                return HttpResponseRedirect(request.path)
        try:
            issued = license_file_issue(license=license, device=device)
        except ApiError as exc:
            messages.error(request, f"{exc.code}: {exc.message}")
            change = reverse("admin:licensing_license_change", args=[license.pk])
            return HttpResponseRedirect(change)
        response = HttpResponse(issued.text, content_type="text/plain; charset=utf-8")
        name = license_file_name(license, device)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def get_fields(self, request, obj=None):
        if obj is None:
            return [f for f in self.add_fields if f != "tenant" or not user_tenant_id(request.user)]
        return [
            *self.change_readonly,
            "name",
            "expires_at",
            "updates_until",
            "max_devices",
            "max_validations",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changed = {f: data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
            stored = License.objects.get(pk=obj.pk)
            services.license_update(license=stored, actor=request.user, **changed)
            obj.refresh_from_db()
            return
        tenant = data.get("tenant") or Tenant.objects.get(pk=user_tenant_id(request.user))
        policy = data["policy"]
        issued = services.license_issue(
            actor=request.user,
            tenant=tenant,
            policy=policy,
            name=data.get("name", ""),
            **{f: data[f] for f in ("expires_at", "updates_until") if data.get(f)},
        )
        obj.pk = issued.license.pk
        obj.refresh_from_db()
        request.relais_secret_url = secret_page_url(request, **self._keys([(obj, issued.key)]))

    def response_add(self, request, obj, post_url_continue=None):
        # The new key is shown on the one-time page, never in a message (see core.admin_secrets).
        if url := getattr(request, "relais_secret_url", None):
            return HttpResponseRedirect(url)
        return super().response_add(request, obj, post_url_continue)

    def _keys(self, issued):
        return {
            "title": _("License keys (shown once)"),
            "secrets_shown": [(str(lic.name or lic.tenant), key) for lic, key in issued],
            "back": reverse("admin:licensing_license_changelist"),
        }

    def has_delete_permission(self, request, obj=None):
        return False  # a license is revoked, never deleted: devices and events refer to it

    def _each(self, request, queryset, service, done):
        apply_each(request, queryset, service, arg="license", done=done)

    @admin.action(description=_("Suspend selected licenses"), permissions=["change"])
    def suspend(self, request, queryset):
        self._each(
            request, queryset, services.license_suspend, _("%(count)d license(s) suspended.")
        )

    @admin.action(description=_("Reinstate selected licenses"), permissions=["change"])
    def reinstate(self, request, queryset):
        self._each(
            request, queryset, services.license_reinstate, _("%(count)d license(s) reinstated.")
        )

    @admin.action(description=_("Revoke selected licenses"), permissions=["change"])
    def revoke(self, request, queryset):
        self._each(request, queryset, services.license_revoke, _("%(count)d license(s) revoked."))

    @admin.action(description=_("Renew selected licenses by their policy"), permissions=["change"])
    def renew(self, request, queryset):
        self._each(request, queryset, services.license_renew, _("%(count)d license(s) renewed."))

    @admin.action(description=_("Regenerate the key of selected licenses"), permissions=["change"])
    def regenerate_key(self, request, queryset):
        issued = [
            (lic, services.license_regenerate_key(license=lic, actor=request.user))
            for lic in queryset
        ]
        return redirect_to_secrets(request, **self._keys(issued))


@admin.register(ApiToken)
class ApiTokenAdmin(TenantScopedAdmin):
    nav_group, nav_icon, nav_order = "integrations", "token", 30
    list_display = [
        "prefix",
        "name",
        "user",
        "default_tenant",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = [
        "prefix",
        "user",
        "default_tenant",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are shown once: `manage.py create_api_token` or the API

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        apply_each(
            request,
            queryset,
            services.api_token_revoke,
            arg="api_token",
            done=_("%(count)d token(s) revoked."),
        )
