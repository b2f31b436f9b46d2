"""System check: a model holding tenant data must be scoped through core.tenancy."""

from django.apps import apps
from django.contrib import admin
from django.core import checks

from .tenancy import TenantQuerySet, holds_tenant_data
from .tenancy_admin import TenantScopedAdmin

PROJECT_APPS = {
    "core",
    "licensing",
    "devices",
    "releases",
    "telemetry",
    "webhooks",
    "commands",
    "documents",
    "notifications",
}


@checks.register(checks.Tags.models)
def tenant_scoping_check(app_configs=None, **kwargs):
    errors = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or not holds_tenant_data(model):
            continue
        label = model._meta.label
        if not isinstance(model._default_manager.all(), TenantQuerySet):
            errors.append(
                checks.Error(
                    f"{label} holds tenant data but its default manager is not a TenantQuerySet.",
                    hint="Inherit core.tenancy.TenantOwnedModel or use TenantQuerySet.",
                    obj=model,
                    id="relais.E001",
                )
            )
        model_admin = admin.site._registry.get(model)
        if model_admin is not None and not isinstance(model_admin, TenantScopedAdmin):
            errors.append(
                checks.Error(
                    f"The admin of {label} holds tenant data but is not a TenantScopedAdmin.",
                    obj=model,
                    id="relais.E002",
                )
            )
    return errors
