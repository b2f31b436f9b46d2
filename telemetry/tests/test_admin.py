"""The backoffice: the device page's latest metrics and chart, the alerts list with its
fleet-health block, filters and actions (through services)."""

import json
import re

import pytest
from django.utils import timezone

from core.models import Event
from devices.tests.factories import DeviceFactory
from telemetry.models import Alert, LatestMetrics, TelemetryRollup
from telemetry.tests.factories import alert_of

pytestmark = pytest.mark.django_db


def test_device_page_shows_latest_metrics_and_24_hour_and_7_day_charts(client, platform_admin):
    device = DeviceFactory()
    LatestMetrics.objects.create(
        tenant=device.tenant,
        device=device,
        received_at=timezone.now(),
        metrics={"temperature": 52.3, "<b>x</b>": 1},
    )
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    TelemetryRollup.objects.create(
        tenant=device.tenant,
        device=device,
        hour=hour,
        metric="temperature",
        count=2,
        total=100,
        minimum=40,
        maximum=60,
    )
    client.force_login(platform_admin)
    page = client.get(f"/admin/devices/device/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "52.3" in html and "&lt;b&gt;x&lt;/b&gt;" in html  # escaped
    assert "vendor/chartjs/chart.umd.min.js" in html and 'id="telemetry-chart-data"' in html
    charts = {
        name: json.loads(data)
        for name, data in re.findall(
            r'<script id="([a-z0-9-]+)-data" type="application/json">(.*?)</script>', html
        )
    }
    day, week = charts["telemetry-chart"], charts["telemetry-chart-7d"]
    assert day["series"]["temperature"][-1] == 50 and len(day["labels"]) == 24
    assert week["series"]["temperature"][-1] == 50 and len(week["labels"]) == 24 * 7


def test_alerts_list_filters_and_actions(client, platform_admin):
    device = DeviceFactory()
    warning = alert_of(device.tenant, device=device)
    critical = alert_of(device.tenant, metric="disk", severity="critical", value=96, threshold=95)
    client.force_login(platform_admin)
    page = client.get("/admin/telemetry/alert/", {"severity": "critical"})
    assert page.status_code == 200
    assert [a.pk for a in page.context["cl"].result_list] == [critical.pk]
    assert page.context["fleet_health"]["alerts"] == {"critical": 1, "warning": 1}
    assert b"fleet-health" in page.content
    client.post(
        "/admin/telemetry/alert/", {"action": "acknowledge", "_selected_action": [warning.pk]}
    )
    client.post("/admin/telemetry/alert/", {"action": "resolve", "_selected_action": [critical.pk]})
    warning.refresh_from_db()
    critical.refresh_from_db()
    assert warning.acknowledged_by == platform_admin.username and warning.is_open
    assert critical.status == Alert.Status.RESOLVED and critical.resolution == "manual"
    assert Event.objects.get(type="alert.resolved").actor == platform_admin
    page = client.get("/admin/telemetry/alert/", {"acknowledged": "yes"})
    assert [a.pk for a in page.context["cl"].result_list] == [warning.pk]


def test_rules_are_saved_through_services(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(
        "/admin/telemetry/alertrule/add/",
        {
            "metric": "temperature",
            "warning": "60",
            "critical": "70",
            "margin": "2",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 302
    assert Event.objects.get(type="alert_rule.created").actor == platform_admin


def test_tenant_staff_see_and_act_on_their_fleets_alerts(client):
    from licensing.tests.factories import TenantFactory, UserFactory

    tenant = TenantFactory()
    ours = alert_of(tenant)
    theirs = alert_of(TenantFactory())
    client.force_login(UserFactory(tenant=tenant))  # the tenant staff role, nothing more
    page = client.get("/admin/telemetry/alert/")
    assert page.status_code == 200
    assert [a.pk for a in page.context["cl"].result_list] == [ours.pk]
    assert page.context["fleet_health"]["alerts"]["warning"] == 1  # theirs not counted
    client.post("/admin/telemetry/alert/", {"action": "resolve", "_selected_action": [ours.pk]})
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert not ours.is_open and theirs.is_open
