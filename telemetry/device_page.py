"""Telemetry's section of the device page (registered in TelemetryConfig.ready): hourly
averages over 24 hours and 7 days from the rollups, and the device's alerts."""

from django.template.loader import render_to_string

from . import selectors
from .models import Alert


def device_telemetry_html(request, device) -> str:
    context = {
        "day": selectors.device_chart(device_id=device.pk, hours=24),
        "week": selectors.device_chart(device_id=device.pk, hours=24 * 7),
        "alerts": list(Alert.objects.filter(device=device).order_by("-opened_at")[:20]),
        "device": device,
    }
    return render_to_string("telemetry/device_section.html", context, request=request)
