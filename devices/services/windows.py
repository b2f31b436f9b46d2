"""Maintenance windows of a tenant, its sites and device groups (see devices.windows)."""

import contextlib
import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from core.services.changes import model_update
from licensing.models import Tenant

from ..models import Device
from ..windows import windows_clean


@transaction.atomic
def maintenance_windows_set(*, tenant: Tenant, windows, actor=None) -> list[dict]:
    """Replace `tenant`'s windows with `windows` (validated: INVALID_WINDOWS; a `site` must
    be one of the tenant's devices: UNKNOWN_DEVICES). Records `tenant.updated` when they
    changed; the node credentials kept by every process are dropped (the check reads the
    windows with them)."""
    clean = windows_clean(windows)
    for window in clean:  # a site is named by its device id, written the canonical way
        if "site" in window:
            with contextlib.suppress(ValueError):
                window["site"] = str(uuid.UUID(window["site"]))
    sites = {w["site"] for w in clean if "site" in w}
    found: set[str] = set()
    if sites:
        ids = [s for s in sites if len(s) == 36]
        rows = Device.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", flat=True)
        found = {str(pk) for pk in rows}
    missing = sorted(sites - found)
    if missing:
        raise ApiError(
            "UNKNOWN_DEVICES",
            _("No such site among this tenant's devices: %(ids)s") % {"ids": ", ".join(missing)},
            400,
            devices=missing,
        )
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    _row, changed = model_update(
        tenant, editable={"maintenance_windows"}, changes={"maintenance_windows": clean}
    )
    if changed:
        payload = {
            "tenantId": tenant.pk,
            "slug": tenant.slug,
            "isActive": tenant.is_active,
            "changed": changed,
        }
        events.publish("tenant.updated", tenant=tenant, payload=payload, actor=actor)
    return clean
