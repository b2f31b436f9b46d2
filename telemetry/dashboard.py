"""Telemetry's section of the landing page's dashboard (registered in TelemetryConfig.ready):
online and offline devices, open alerts by severity, each figure a link to its list."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from releases.dashboard import charts

from .selectors import fleet_health


def fleet_health_html(request) -> str:
    health = fleet_health(user=request.user)
    now = timezone.now()
    cutoff = (now - timezone.timedelta(seconds=settings.RELAIS_OFFLINE_AFTER_SECONDS)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    context = {
        "health": health,
        "cutoff": cutoff,
        "devices_svg": charts.share_chart(
            "devices",
            [
                ("online", health["online"]),
                ("offline", health["offline"]),
                ("never seen", health["never"]),
            ],
        ),
        "alerts_svg": charts.share_chart(
            "open alerts",
            [("critical", health["alerts"]["critical"]), ("warning", health["alerts"]["warning"])],
        ),
    }
    return render_to_string("telemetry/dashboard_health.html", context, request=request)
