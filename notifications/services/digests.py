"""Digests: beat (every RELAIS_NOTIFY_SWEEP_SECONDS) sends each recipient one email with
everything new for them, at most one per RELAIS_NOTIFY_DIGEST_SECONDS: the first alert of
a quiet day goes out within a sweep, a storm of them in one email per window.

Each recipient is handled in its own transaction with its row locked (SKIP LOCKED: two
workers never mail the same person twice); the watermark moves only once the mail server
accepted the email, so a mail server down delays a digest, never loses it. Failed updates
are told about only in bursts: RELAIS_NOTIFY_UPDATE_FAILURE_BURST of them within
RELAIS_NOTIFY_UPDATE_FAILURE_WINDOW_SECONDS."""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from devices.models import Device

from ..models import Kind, Notification, Recipient
from ..selectors import notifications_pending, recipients_due
from .recipients import unsubscribe_token

logger = logging.getLogger(__name__)
LANGUAGES = ("fr", "en")


@dataclass
class Digest:
    """What one email tells, by section (the templates lay them out per language)."""

    opened: list[dict] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)
    licenses: list[dict] = field(default_factory=list)
    rollouts: list[dict] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)  # (version, count)
    failure_count: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.opened or self.resolved or self.licenses or self.rollouts or self.failures)


def _when(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _name_devices(alerts: list[dict]) -> None:
    """People know a device by its hardware id: `alert.resolved` carries only the device's
    id, so those are named in one query (none when every alert names its device)."""
    unnamed = {a["deviceId"] for a in alerts if not a.get("hardwareId") and a.get("deviceId")}
    if not unnamed:
        return
    names = {
        str(pk): hardware_id
        for pk, hardware_id in Device.objects.filter(pk__in=unnamed).values_list(
            "pk", "hardware_id"
        )
    }
    for alert in alerts:
        if not alert.get("hardwareId"):
            alert["hardwareId"] = names.get(str(alert.get("deviceId")), "")


def digest_compose(*, items: list[Notification], now: datetime) -> Digest:
    digest = Digest()
    burst_since = now - timedelta(seconds=settings.RELAIS_NOTIFY_UPDATE_FAILURE_WINDOW_SECONDS)
    failures: Counter[str] = Counter()
    for item in items:
        data = dict(item.payload)
        for key in ("openedAt", "resolvedAt", "expiresAt"):
            if key in data:
                data[key] = _when(data[key])
        if item.event_type == "alert.opened":
            digest.opened.append(data)
        elif item.event_type == "alert.resolved":
            digest.resolved.append(data)
        elif item.kind == Kind.LICENSES:
            digest.licenses.append(data)
        elif item.kind == Kind.ROLLOUTS:
            digest.rollouts.append(data)
        elif item.kind == Kind.UPDATES and item.created_at >= burst_since:
            failures[str(data.get("toVersion") or "?")] += 1
    _name_devices(digest.opened + digest.resolved)
    if sum(failures.values()) >= settings.RELAIS_NOTIFY_UPDATE_FAILURE_BURST:
        digest.failures = sorted(failures.items())
        digest.failure_count = sum(failures.values())
    return digest


# (singular, plural) per section and language: two languages, no catalogue to merge.
SUBJECT_PARTS = {
    "en": {
        "opened": ("{n} alert opened", "{n} alerts opened"),
        "resolved": ("{n} resolved", "{n} resolved"),
        "licenses": ("{n} license expiring", "{n} licenses expiring"),
        "rollouts": ("{n} rollout halted", "{n} rollouts halted"),
        "failures": ("{n} failed update", "{n} failed updates"),
    },
    "fr": {
        "opened": ("{n} alerte ouverte", "{n} alertes ouvertes"),
        "resolved": ("{n} résolue", "{n} résolues"),
        "licenses": ("{n} licence bientôt expirée", "{n} licences bientôt expirées"),
        "rollouts": ("{n} déploiement arrêté", "{n} déploiements arrêtés"),
        "failures": ("{n} mise à jour en échec", "{n} mises à jour en échec"),
    },
}


def digest_subject(*, digest: Digest, tenant, language: str) -> str:
    counts = {
        "opened": len(digest.opened),
        "resolved": len(digest.resolved),
        "licenses": len(digest.licenses),
        "rollouts": len(digest.rollouts),
        "failures": digest.failure_count,
    }
    plural = (lambda n: n > 1) if language == "fr" else (lambda n: n != 1)
    parts = [
        SUBJECT_PARTS[language][name][plural(n)].format(n=n) for name, n in counts.items() if n
    ]
    colon = " :" if language == "fr" else ":"
    where = f" {tenant.name}{colon}" if tenant is not None else ""
    return f"[Relais]{where} " + ", ".join(parts)


def _language(recipient: Recipient) -> str:
    language = recipient.tenant.language if recipient.tenant is not None else ""
    if language not in LANGUAGES:
        language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in LANGUAGES else "en"
    return language


def unsubscribe_url(recipient: Recipient) -> str:
    base = settings.RELAIS_PUBLIC_URL.rstrip("/")
    return f"{base}/notifications/unsubscribe/{unsubscribe_token(recipient)}"


def digest_email(*, recipient: Recipient, digest: Digest) -> EmailMultiAlternatives:
    language = _language(recipient)
    context = {
        "recipient": recipient,
        "tenant": recipient.tenant,
        "digest": digest,
        "unsubscribe_url": unsubscribe_url(recipient),
    }
    with translation.override(language):
        body = render_to_string(f"notifications/digest.{language}.txt", context)
    email = EmailMultiAlternatives(
        subject=digest_subject(digest=digest, tenant=recipient.tenant, language=language),
        body=body,
        to=[recipient.email],
        headers={
            # RFC 8058: mail clients offer a one-click unsubscribe, POSTed to this URL.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    return email


def _digest_send_one(*, recipient_id: int, sent_before: datetime, now: datetime) -> bool:
    with transaction.atomic():
        recipient = (
            Recipient.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("tenant")
            .filter(pk=recipient_id, is_active=True, unsubscribed_at__isnull=True)
            .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=sent_before))
            .first()
        )
        if recipient is None:  # sent meanwhile, locked by another worker, or gone
            return False
        items = notifications_pending(recipient=recipient)
        if not items:
            return False
        digest = digest_compose(items=items, now=now)
        if digest.is_empty:
            return False  # failed updates under a burst: kept for when they make one
        digest_email(recipient=recipient, digest=digest).send()
        recipient.last_notification_id = items[-1].pk
        recipient.last_sent_at = now
        recipient.save(update_fields=["last_notification_id", "last_sent_at"])
    return True


def digests_send(*, now: datetime | None = None) -> int:
    """Send the digests due; the number of emails sent. Safe to run twice."""
    now = now or timezone.now()
    sent_before = now - timedelta(seconds=settings.RELAIS_NOTIFY_DIGEST_SECONDS)
    sent = 0
    for recipient_id in recipients_due(sent_before=sent_before).values_list("pk", flat=True):
        try:
            sent += _digest_send_one(recipient_id=recipient_id, sent_before=sent_before, now=now)
        except OSError:  # the mail server refused or is down: this digest waits a sweep
            logger.warning("digest to recipient %s not sent", recipient_id, exc_info=True)
    cutoff = now - timedelta(days=settings.RELAIS_NOTIFY_RETENTION_DAYS)
    Notification.objects.filter(created_at__lt=cutoff).delete()
    return sent
