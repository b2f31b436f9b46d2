"""What the backoffice's admins share: actions and saves that call services as the
logged-in user, and refusals shown as messages instead of error pages."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from .exceptions import ApiError
from .tenancy_admin import TenantScopedAdmin


def apply_each(request, queryset, service, *, arg: str, done: str) -> int:
    """Call `service(<arg>=row, actor=user)` for each selected row the user may change;
    report refusals and how many rows were changed (`done` takes `%(count)d`)."""
    count = 0
    for row in queryset:
        try:
            service(**{arg: row}, actor=request.user)
            count += 1
        except ApiError as exc:
            messages.error(request, f"{row}: {exc.message}")
    level = messages.SUCCESS if count else messages.WARNING
    messages.add_message(request, level, done % {"count": count})
    return count


class ServiceAdmin(TenantScopedAdmin):
    """An admin whose saves go through services. `create_service(actor=…, **fields)` and
    `update_service(<model>=row, actor=…, **changed)` get the form's cleaned data; an
    `is_active` box switches through `activate_service` / `deactivate_service`. A service's
    refusal is shown on the form's page, not as a server error."""

    create_service = None
    update_service = None
    activate_service = None
    deactivate_service = None

    def service_fields(self, request, form) -> dict:
        return {f: v for f, v in form.cleaned_data.items() if f != "is_active"}

    def save_model(self, request, obj, form, change):
        name = obj._meta.model_name
        if not change:
            row = type(self).create_service(
                actor=request.user, **self.service_fields(request, form)
            )
            if form.cleaned_data.get("is_active") is False and self.deactivate_service:
                row = type(self).deactivate_service(**{name: row}, actor=request.user)
            obj.pk = row.pk
            obj.refresh_from_db()
            return
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f != "is_active"}
        # The form has set the new values on `obj`: the service compares with the stored row.
        row = type(obj)._default_manager.get(pk=obj.pk)
        if changed:
            row = type(self).update_service(**{name: row}, actor=request.user, **changed)
        if "is_active" in form.changed_data:
            cls = type(self)
            switch = cls.activate_service if obj.is_active else cls.deactivate_service
            row = switch(**{name: row}, actor=request.user)
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApiError as exc:
            messages.error(request, _("%(code)s: %(message)s") % vars(exc))
            return HttpResponseRedirect(request.get_full_path())
