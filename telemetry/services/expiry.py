"""`license.expiring` warnings, RELAIS_LICENSE_EXPIRY_WARNING_DAYS (30, 7, 1) before a
license expires: each once per license, expiry date and threshold (a renewal moves the
date, so the warnings start again), only the nearest threshold crossed."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.services import events
from licensing.models import License

from ..models import LicenseExpiryNotice


def licenses_expiry_warn(*, now=None) -> int:
    now = now or timezone.now()
    thresholds = sorted(settings.RELAIS_LICENSE_EXPIRY_WARNING_DAYS)
    if not thresholds:
        return 0
    licenses = License.objects.filter(
        status=License.Status.ACTIVE,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=thresholds[-1]),
    ).select_related("tenant")
    sent = {
        (n.license_id, n.expires_at, n.days)
        for n in LicenseExpiryNotice.objects.filter(license__in=licenses)
    }
    warned = 0
    for license in licenses:
        assert license.expires_at is not None  # filtered on it
        left = license.expires_at - now
        days = next(d for d in thresholds if left <= timedelta(days=d))
        # A nearer warning already sent covers the farther ones.
        if any((license.pk, license.expires_at, d) in sent for d in thresholds if d <= days):
            continue
        try:
            with transaction.atomic():
                LicenseExpiryNotice.objects.create(
                    license=license, expires_at=license.expires_at, days=days, sent_at=now
                )
                events.publish(
                    "license.expiring",
                    tenant=license.tenant,
                    payload={
                        "licenseId": license.pk,
                        "keyPrefix": license.key_prefix,
                        "productId": license.product_id,
                        "expiresAt": license.expires_at,
                        "daysLeft": left.days,
                        "threshold": days,
                    },
                )
        except IntegrityError:
            continue  # another run sent it
        warned += 1
    return warned
