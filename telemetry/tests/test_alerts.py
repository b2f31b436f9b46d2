"""Alerts: open once, escalate, resolve with hysteresis; rule overrides; the offline sweep
with a frozen clock; license expiry warnings; their events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Event
from devices.services.devices import device_deactivate
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory
from telemetry.models import Alert, AlertRule
from telemetry.rules import DEFAULTS, rules_for
from telemetry.services import staff as services
from telemetry.services.alerts import alerts_apply, devices_offline_sweep
from telemetry.services.expiry import licenses_expiry_warn
from telemetry.services.maintenance import latest_metrics_flush
from telemetry.validation import Report

pytestmark = pytest.mark.django_db


def _report(device, **metrics):
    """Ingest as the routes do: alerts checked, latest metrics noted; then the beat flush."""
    from telemetry.services.ingest import reports_record

    reports_record(
        tenant_id=device.tenant_id,
        device=device,
        reports=[Report(metrics=metrics)],
        received_at=timezone.now(),
    )
    latest_metrics_flush()


def _events(kind):
    return list(Event.objects.filter(type=kind).order_by("created_at"))


def test_defaults_are_the_neopro_seeds():
    assert DEFAULTS["temperature"].warning == 75 and DEFAULTS["temperature"].critical == 80
    assert DEFAULTS["disk"].warning == 90 and DEFAULTS["disk"].critical == 95
    assert DEFAULTS["memory"].warning == 90 and DEFAULTS["memory"].critical is None


def test_open_once_escalate_then_resolve_only_under_the_margin():
    device = DeviceFactory()
    _report(device, temperature=70)
    assert not Alert.objects.exists()
    _report(device, temperature=76)
    alert = Alert.objects.get()
    assert (alert.metric, alert.severity, alert.value, alert.threshold) == (
        "temperature",
        "warning",
        76,
        75,
    )
    _report(device, temperature=77)  # still over: no duplicate, no event
    _report(device, temperature=81)  # escalates
    _report(device, temperature=85)
    alert.refresh_from_db()
    assert alert.severity == "critical" and alert.value == 81 and alert.escalated_at
    assert Alert.objects.count() == 1
    for value in (74, 73, 72.5):  # under 75 but not by the 3 °C margin: stays open
        _report(device, temperature=value)
        alert.refresh_from_db()
        assert alert.is_open, value
    _report(device, temperature=71.9)
    alert.refresh_from_db()
    assert not alert.is_open and alert.resolution == "recovered" and alert.value == 71.9
    assert [len(_events(t)) for t in ("alert.opened", "alert.escalated", "alert.resolved")] == [
        1,
        1,
        1,
    ]
    payload = _events("alert.opened")[0].payload
    assert payload["deviceId"] == str(device.pk) and payload["metric"] == "temperature"
    assert payload["severity"] == "warning" and payload["value"] == 76
    _report(device, temperature=76)  # a new episode: a new alert
    assert Alert.objects.filter(status="open").count() == 1 and Alert.objects.count() == 2


def test_any_metric_name_a_rule_names():
    device = DeviceFactory()
    AlertRule.objects.create(metric="gpu:0 temp", warning=70)
    _report(device, **{"gpu:0 temp": 71})
    assert Alert.objects.get().metric == "gpu:0 temp"


def test_a_missing_value_neither_opens_nor_resolves():
    device = DeviceFactory()
    _report(device, disk=96)
    _report(device, cpu=10)
    assert Alert.objects.get().is_open and Alert.objects.get().severity == "critical"


def test_one_open_alert_even_when_two_reports_race():
    device = DeviceFactory()
    alerts_apply(device=device, peaks={"memory": ("warning", 95, 90)}, now=timezone.now())
    # The second request read no open alert before the first committed its own:
    from telemetry.services.alerts import alert_open

    assert (
        alert_open(
            device=device,
            metric="memory",
            severity="warning",
            value=95,
            threshold=90,
            now=timezone.now(),
        )
        is None
    )
    assert Alert.objects.count() == 1 and len(_events("alert.opened")) == 1


def test_a_tenant_overrides_a_threshold_per_product():
    device = DeviceFactory()
    other_product = DeviceFactory(license__tenant=device.tenant)
    services.alert_rule_create(
        tenant=device.tenant, product=device.product, metric="temperature", warning=60, critical=65
    )
    assert (
        rules_for(tenant_id=device.tenant_id, product_id=device.product_id)["temperature"].warning
        == 60
    )
    assert (
        rules_for(tenant_id=device.tenant_id, product_id=other_product.product_id)[
            "temperature"
        ].warning
        == 75
    )
    _report(device, temperature=66)
    _report(other_product, temperature=66)
    assert Alert.objects.get().device == device and Alert.objects.get().severity == "critical"


def test_specific_rules_win_and_a_disabled_rule_silences_the_metric():
    device = DeviceFactory()
    product = device.product
    AlertRule.objects.create(metric="cpu", warning=50)  # platform-wide: a new metric
    AlertRule.objects.create(metric="cpu", product=product, warning=70)
    AlertRule.objects.create(metric="disk", tenant=device.tenant, is_enabled=False)
    rules = rules_for(tenant_id=device.tenant_id, product_id=product.pk)
    assert rules["cpu"].warning == 70 and "disk" not in rules
    assert (
        rules_for(tenant_id=device.tenant_id, product_id=ProductFactory().pk)["cpu"].warning == 50
    )


def test_removing_a_rule_resolves_its_alerts():
    device = DeviceFactory()
    rule = services.alert_rule_create(tenant=device.tenant, metric="cpu", warning=80)
    _report(device, cpu=90)
    assert Alert.objects.get().is_open
    services.alert_rule_delete(alertrule=rule)
    from telemetry import rules

    rules.forget()  # on_commit does it outside a test transaction
    _report(device, cpu=90)
    alert = Alert.objects.get()
    assert not alert.is_open and alert.resolution == "rule_removed"


def test_staff_acknowledge_and_resolve(platform_admin):
    device = DeviceFactory()
    _report(device, temperature=79)
    alert = Alert.objects.get()
    services.alert_acknowledge(alert=alert, actor=platform_admin)
    services.alert_acknowledge(alert=alert, actor=platform_admin)  # once
    alert.refresh_from_db()
    assert alert.acknowledged_by == platform_admin.username and alert.is_open
    services.alert_resolve(alert=alert, actor=platform_admin)
    services.alert_resolve(alert=alert, actor=platform_admin)
    alert.refresh_from_db()
    assert alert.resolution == "manual"
    assert [e.actor for e in _events("alert.acknowledged") + _events("alert.resolved")] == [
        platform_admin,
        platform_admin,
    ]


# --- Offline sweep, with the clock given ---------------------------------------------------


def test_offline_sweep_opens_once_and_resolves_when_the_device_is_back():
    t0 = timezone.now()
    silent = DeviceFactory(last_seen_at=t0)
    alive = DeviceFactory(last_seen_at=t0)
    assert devices_offline_sweep(now=t0 + timedelta(minutes=4))["offline"] == 0
    # Five minutes and a second later the silent one is offline; the other was seen.
    alive.last_seen_at = t0 + timedelta(minutes=4, seconds=30)
    alive.save()
    result = devices_offline_sweep(now=t0 + timedelta(minutes=5, seconds=1))
    assert result["offline"] == 1
    alert = Alert.objects.get()
    assert alert.device == silent and alert.metric == "offline" and alert.is_open
    assert devices_offline_sweep(now=t0 + timedelta(minutes=7))["offline"] == 0  # once
    offline = _events("device.offline")
    assert len(offline) == 1 and offline[0].payload["deviceId"] == str(silent.pk)
    assert offline[0].payload["silentSeconds"] == 301
    assert len(_events("alert.opened")) == 1
    silent.last_seen_at = t0 + timedelta(minutes=8)
    silent.save()
    assert devices_offline_sweep(now=t0 + timedelta(minutes=8, seconds=30))["online"] == 1
    alert.refresh_from_db()
    assert not alert.is_open and alert.resolution == "online"
    online = _events("device.online")
    assert len(online) == 1 and online[0].payload["deviceId"] == str(silent.pk)
    assert len(_events("alert.resolved")) == 1


def test_offline_threshold_is_a_setting(settings):
    settings.RELAIS_OFFLINE_AFTER_SECONDS = 3600
    t0 = timezone.now()
    DeviceFactory(last_seen_at=t0)
    assert devices_offline_sweep(now=t0 + timedelta(minutes=30))["offline"] == 0
    assert devices_offline_sweep(now=t0 + timedelta(minutes=61))["offline"] == 1


def test_deactivated_devices_are_not_offline_and_their_alert_closes():
    t0 = timezone.now()
    device = DeviceFactory(last_seen_at=t0)
    devices_offline_sweep(now=t0 + timedelta(minutes=6))
    device_deactivate(device=device)
    devices_offline_sweep(now=t0 + timedelta(minutes=7))
    alert = Alert.objects.get()
    assert alert.resolution == "deactivated" and not _events("device.online")
    DeviceFactory(last_seen_at=t0, status="deactivated")
    assert devices_offline_sweep(now=t0 + timedelta(minutes=8))["offline"] == 0


def test_offline_sweep_queries_do_not_grow_with_quiet_devices(django_assert_max_num_queries):
    for _ in range(30):
        DeviceFactory()
    with django_assert_max_num_queries(4):
        devices_offline_sweep()


# --- License expiry ----------------------------------------------------------------------


def test_expiry_warnings_at_30_7_and_1_days_each_once():
    now = timezone.now()
    license = LicenseFactory(expires_at=now + timedelta(days=40))
    assert licenses_expiry_warn(now=now) == 0
    for day, threshold in ((11, 30), (12, None), (33, 7), (39, 1), (39.5, None)):
        sent = licenses_expiry_warn(now=now + timedelta(days=day))
        assert sent == (1 if threshold else 0), day
    events = _events("license.expiring")
    assert [e.payload["threshold"] for e in events] == [30, 7, 1]
    assert events[0].payload["licenseId"] == str(license.pk)
    assert events[0].tenant_id == license.tenant_id


def test_a_license_found_late_gets_only_the_nearest_warning_and_renewal_restarts():
    now = timezone.now()
    license = LicenseFactory(expires_at=now + timedelta(days=5))
    assert licenses_expiry_warn(now=now) == 1
    assert [e.payload["threshold"] for e in _events("license.expiring")] == [7]
    license.expires_at = now + timedelta(days=20)  # renewed
    license.save()
    assert licenses_expiry_warn(now=now) == 1
    LicenseFactory(expires_at=now + timedelta(days=5), status="revoked")
    assert licenses_expiry_warn(now=now) == 0


def test_a_spike_between_two_flushes_opens_at_its_worst_then_resolves():
    from telemetry.services.ingest import reports_record

    device = DeviceFactory()
    for value in (77, 83, 60):  # warning, critical, back to normal: no flush in between
        reports_record(
            tenant_id=device.tenant_id,
            device=device,
            reports=[Report(metrics={"temperature": value})],
            received_at=timezone.now(),
        )
    assert not Alert.objects.exists()
    latest_metrics_flush()
    alert = Alert.objects.get()
    assert alert.severity == "critical" and _events("alert.opened")[0].payload["value"] == 83
    assert not alert.is_open and alert.resolution == "recovered" and alert.value == 60
    assert [len(_events(t)) for t in ("alert.opened", "alert.resolved")] == [1, 1]
