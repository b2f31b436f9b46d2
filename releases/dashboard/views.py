"""The dashboard on the admin's landing page (core.admin_site calls `dashboard_html`)."""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import charts
from .selectors import dashboard_data


def dashboard_html(request) -> str:
    data = dashboard_data(request.user)
    for panel in data["products"]:
        panel.versions_svg = charts.versions_chart(str(panel.product), panel.versions)
        panel.platforms_svg = charts.share_chart(str(panel.product), panel.platforms)
        panel.outcomes_svg = charts.outcomes_chart(
            str(panel.product), data["days"], panel.successes, panel.failures
        )
    for panel in data["rollouts"]:
        panel.sessions_svg = charts.sessions_chart(
            f"{panel.rollout.release} — {panel.rollout.percent} %",
            panel.sessions or {"no session yet": 0},
        )
        panel.failures_svg = charts.failure_rate_chart(
            str(_("Failure rate per day")),
            data["days"],
            panel.daily_failure_rates,
            panel.rollout.max_failure_rate,
            str(_("failure rate")),
        )
    return render_to_string("releases/dashboard.html", data, request=request)
