"""Daily counts of update outcomes (see models.UpdateDay), kept by status reports."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import UpdateDay, UpdateSession

S = UpdateSession.Status
COUNTED: dict[str, str] = {S.COMPLETED: "completed", S.FAILED: "failed", S.ROLLED_BACK: "failed"}


def outcome_count(*, device, status: str, at=None) -> None:
    """Add one to the day's count of `status` for the device's tenant and product: one
    conditional UPDATE, or an INSERT the first time that day (a racing insert loses to the
    unique constraint and updates instead)."""
    column = COUNTED.get(status)
    if column is None:
        return
    key = {
        "tenant_id": device.tenant_id,
        "product_id": device.product_id,
        "day": timezone.localdate(at or timezone.now()),
    }
    if UpdateDay.objects.filter(**key).update(**{column: F(column) + 1}):
        return
    try:
        with transaction.atomic():
            UpdateDay.objects.create(**key, **{column: 1})
    except IntegrityError:
        UpdateDay.objects.filter(**key).update(**{column: F(column) + 1})
