"""Digests over the real event flow: events published by the services become notifications,
beat's digest sends each recipient one email per window, in their tenant's language, never
another tenant's news, never to someone who unsubscribed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core.services import events
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, TenantFactory
from notifications.models import Notification
from notifications.services.digests import digests_send
from notifications.services.recipients import recipient_unsubscribe
from telemetry.models import Alert
from telemetry.services.alerts import alert_close, alert_open, devices_offline_sweep

from .factories import RecipientFactory

pytestmark = pytest.mark.django_db


def _overheat(device, value=81.0):
    return alert_open(
        device=device,
        metric="temperature",
        severity="critical",
        value=value,
        threshold=80.0,
        now=timezone.now(),
    )


@pytest.fixture
def window(settings):
    settings.RELAIS_NOTIFY_DIGEST_SECONDS = 900
    return timedelta(seconds=900)


def test_an_alert_reaches_its_tenants_recipients_only(window):
    ours, theirs = TenantFactory(language="en"), TenantFactory()
    alice = RecipientFactory(tenant=ours, email="alice@ours.example")
    bob = RecipientFactory(tenant=theirs, email="bob@theirs.example")
    device = DeviceFactory(license=LicenseFactory(tenant=ours), hardware_id="node-7")
    alert = _overheat(device)

    assert digests_send() == 1
    [message] = mail.outbox
    assert message.to == [alice.email] and bob.email not in message.to
    assert message.subject == f"[Relais] {ours.name}: 1 alert opened"
    assert "node-7: temperature critical (81.0 over 80.0)" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    # theirs had nothing: their recipient is not due, whatever the window
    assert digests_send(now=timezone.now() + 2 * window) == 0
    alert_close(alert=alert, reason="recovered", now=timezone.now())
    assert digests_send(now=timezone.now() + 2 * window) == 1
    assert mail.outbox[-1].to == [alice.email] and "Alerts resolved" in mail.outbox[-1].body
    assert "node-7: temperature (recovered)" in mail.outbox[-1].body


def test_a_storm_is_one_email_per_window(window):
    tenant = TenantFactory(language="en")
    recipient = RecipientFactory(tenant=tenant)
    devices = [DeviceFactory(license=LicenseFactory(tenant=tenant)) for _ in range(3)]
    _overheat(devices[0])
    now = timezone.now()
    assert digests_send(now=now) == 1
    for device in devices[1:]:
        _overheat(device)
    # within the window: nothing more, however often beat looks
    for minutes in (1, 5, 14):
        assert digests_send(now=now + timedelta(minutes=minutes)) == 0
    assert len(mail.outbox) == 1
    assert digests_send(now=now + window) == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [recipient.email]
    later = mail.outbox[1]
    assert later.subject.endswith("2 alerts opened")
    assert devices[0].hardware_id not in later.body  # told already
    assert all(d.hardware_id in later.body for d in devices[1:])


def test_french_by_default_english_when_the_tenant_says_so(window):
    french, english = TenantFactory(language="fr"), TenantFactory(language="en")
    assert french.language == "fr"
    for tenant in (french, english):
        RecipientFactory(tenant=tenant)
        _overheat(DeviceFactory(license=LicenseFactory(tenant=tenant), hardware_id="n1"))
    assert digests_send() == 2
    by_tenant = {m.subject.split("]")[1].split(":")[0].strip(): m for m in mail.outbox}
    fr, en = by_tenant[french.name], by_tenant[english.name]
    assert fr.subject == f"[Relais] {french.name} : 1 alerte ouverte"
    assert "Alertes ouvertes" in fr.body and "n1 : temperature critique" in fr.body
    assert "Pour ne plus en recevoir" in fr.body
    assert en.subject == f"[Relais] {english.name}: 1 alert opened" and "Alerts opened" in en.body


def test_an_unsubscribed_or_inactive_recipient_gets_nothing(window):
    tenant = TenantFactory()
    gone = RecipientFactory(tenant=tenant)
    paused = RecipientFactory(tenant=tenant, is_active=False)
    stays = RecipientFactory(tenant=tenant)
    recipient_unsubscribe(recipient=gone)
    _overheat(DeviceFactory(license=LicenseFactory(tenant=tenant)))
    assert digests_send() == 1
    assert [m.to for m in mail.outbox] == [[stays.email]]
    assert gone.email not in str(mail.outbox[0].to) and paused.email not in str(mail.outbox[0].to)


def test_kinds_choose_what_a_recipient_hears(window):
    tenant = TenantFactory(language="en")
    licenses_only = RecipientFactory(tenant=tenant, kinds=["licenses"])
    _overheat(DeviceFactory(license=LicenseFactory(tenant=tenant)))
    assert digests_send() == 0
    events.publish(
        "license.expiring",
        tenant=tenant,
        payload={
            "licenseId": "x",
            "keyPrefix": "AB12CD34",
            "productId": 1,
            "expiresAt": (timezone.now() + timedelta(days=7)).isoformat(),
            "daysLeft": 7,
            "threshold": 7,
        },
    )
    assert digests_send() == 1
    [message] = mail.outbox
    assert message.to == [licenses_only.email]
    assert message.subject.endswith("1 license expiring") and "AB12CD34" in message.body
    assert "Alerts" not in message.body


def _failed(tenant, version="1.3.0"):
    events.publish(
        "update.failed",
        tenant=tenant,
        payload={"sessionId": "s", "deviceId": "d", "toVersion": version, "error": "boom"},
    )


def test_failed_updates_are_told_in_bursts_not_one_by_one(settings, window):
    settings.RELAIS_NOTIFY_UPDATE_FAILURE_BURST = 3
    tenant = TenantFactory(language="en")
    RecipientFactory(tenant=tenant)
    _failed(tenant)
    _failed(tenant)
    assert digests_send() == 0  # two failures: no burst yet, kept
    _failed(tenant, "1.3.1")
    assert digests_send() == 1
    [message] = mail.outbox
    assert message.subject.endswith("3 failed updates")
    assert "- to 1.3.0: 2" in message.body and "- to 1.3.1: 1" in message.body


def test_failures_older_than_the_burst_window_make_no_burst(settings, window):
    settings.RELAIS_NOTIFY_UPDATE_FAILURE_BURST = 2
    settings.RELAIS_NOTIFY_UPDATE_FAILURE_WINDOW_SECONDS = 600
    tenant = TenantFactory()
    RecipientFactory(tenant=tenant)
    _failed(tenant)
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    _failed(tenant)
    assert digests_send() == 0


def test_a_platform_wide_halted_rollout_goes_to_platform_recipients(window):
    platform = RecipientFactory(tenant=None, email="vendor@example.com")
    tenant_recipient = RecipientFactory(tenant=TenantFactory())
    events.publish(
        "rollout.halted",
        tenant=None,
        payload={"product": "cybersensei", "version": "1.2.0", "reason": "Failure rate 12 %."},
    )
    assert digests_send() == 1
    [message] = mail.outbox
    assert message.to == [platform.email] and tenant_recipient.email not in message.to
    assert "cybersensei 1.2.0: Failure rate 12 %." in message.body
    assert message.subject == "[Relais] 1 rollout halted"


def test_a_rolled_back_change_is_never_mailed(window):
    tenant = TenantFactory()
    RecipientFactory(tenant=tenant)
    device = DeviceFactory(license=LicenseFactory(tenant=tenant))
    with pytest.raises(RuntimeError), transaction.atomic():
        _overheat(device)
        raise RuntimeError
    assert not Notification.objects.exists() and digests_send() == 0


def test_a_mail_server_down_delays_the_digest_and_loses_nothing(settings, window):
    tenant = TenantFactory()
    RecipientFactory(tenant=tenant)
    _overheat(DeviceFactory(license=LicenseFactory(tenant=tenant)))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert digests_send() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests_send() == 1 and "temperature" in mail.outbox[0].body


def test_a_recipient_added_later_gets_no_backlog(window):
    tenant = TenantFactory()
    _overheat(DeviceFactory(license=LicenseFactory(tenant=tenant)))
    RecipientFactory(tenant=tenant, created_at=timezone.now() + timedelta(seconds=1))
    assert digests_send() == 0


def test_an_offline_sweep_tells_once(settings, window):
    tenant = TenantFactory(language="en")
    RecipientFactory(tenant=tenant)
    DeviceFactory(
        license=LicenseFactory(tenant=tenant),
        hardware_id="silent-1",
        last_seen_at=timezone.now() - timedelta(hours=1),
    )
    devices_offline_sweep()
    devices_offline_sweep()
    assert Alert.objects.filter(metric="offline").count() == 1
    assert digests_send() == 1
    assert "silent-1: offline critical (silent for" in mail.outbox[0].body


def test_old_notifications_are_pruned(settings, window):
    settings.RELAIS_NOTIFY_RETENTION_DAYS = 30
    tenant = TenantFactory()
    _overheat(DeviceFactory(license=LicenseFactory(tenant=tenant)))
    Notification.objects.update(created_at=timezone.now() - timedelta(days=31))
    digests_send()
    assert not Notification.objects.exists()


def test_a_digests_queries_do_not_grow_with_its_notifications(window):
    def digest_queries(alerts: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        tenant = TenantFactory()
        RecipientFactory(tenant=tenant)
        device = DeviceFactory(license=LicenseFactory(tenant=tenant))
        for number in range(alerts):
            alert_open(
                device=device,
                metric=f"m{number}",
                severity="warning",
                value=1.0,
                threshold=0.5,
                now=timezone.now(),
            )
        with CaptureQueriesContext(connection) as queries:
            assert digests_send() == 1
        return len(queries)

    few, many = digest_queries(1), digest_queries(40)
    assert few == many <= 8
