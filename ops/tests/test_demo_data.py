"""`manage.py demo_data --fleet N`: a fleet made through the services, for the dashboard."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from commands.models import DeviceCommand
from devices.models import Device
from releases.models import Rollout, UpdateDay, UpdateSession
from telemetry.models import Alert, TelemetryReport
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_fleet_for_every_chart(settings, capsys):
    settings.DEBUG = True
    call_command("demo_data", "--fleet", "40")
    assert "40 devices on 3 tenants" in capsys.readouterr().out

    fleet = Device.objects.filter(hardware_id__startswith="DEMO-")
    assert fleet.count() == 41  # and the NEOPRO site
    assert fleet.values("app_version").distinct().count() >= 3
    assert fleet.values("platform").distinct().count() >= 3
    assert fleet.values("tenant").distinct().count() == 3

    rollout = Rollout.objects.get(release__version="1.2.0")
    assert (rollout.status, rollout.percent) == ("running", 25)
    statuses = dict(UpdateSession.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses.get("COMPLETED", 0) > statuses.get("FAILED", 0) > 0
    assert UpdateDay.objects.values("day").distinct().count() >= 5  # a history, by day

    assert TelemetryReport.objects.values("device").distinct().count() == 40
    assert Alert.objects.filter(status="open").values("severity").distinct().count() == 2
    assert Alert.objects.filter(status="resolved").exists()
    assert set(DeviceCommand.objects.values_list("status", flat=True)) >= {
        "succeeded",
        "failed",
        "queued",
    }
    deliveries = WebhookDelivery.objects.select_related("endpoint")
    assert deliveries.filter(status="succeeded").exists()
    failed = deliveries.filter(endpoint__description__contains="down", attempts__gte=1)
    assert failed.exclude(status="succeeded").exists()

    # Once: a second run keeps the fleet as it is.
    call_command("demo_data", "--fleet", "40")
    assert "already simulated" in capsys.readouterr().out
    assert fleet.count() == 41
