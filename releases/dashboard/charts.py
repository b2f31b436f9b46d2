"""Every chart of the backoffice, drawn server-side as SVG by pygal (a maintained library,
no JavaScript, nothing fetched: the admin works offline). One module, so a later switch of
library (e.g. to the Chart.js the telemetry charts may vendor) changes only this file."""

import pygal
from django.utils.safestring import mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    colors=("#417690", "#ba2121", "#79aec8", "#e0a800", "#6c757d", "#264b5d", "#999999"),
    font_family="-apple-system, 'Segoe UI', system-ui, Roboto, sans-serif",
)
COMMON = {
    "style": STYLE,
    "js": [],  # pygal's tooltips script comes from a CDN: none
    "disable_xml_declaration": True,  # inlined in the page
    "explicit_size": True,
    "legend_at_bottom": True,
    "print_values": False,
}


def _svg(chart) -> str:
    return mark_safe(chart.render(is_unicode=True))  # noqa: S308 - pygal escapes labels


def versions_chart(title: str, counts: list[tuple[str, int]]) -> str:
    """Devices per version, newest first."""
    chart = pygal.HorizontalBar(title=title, width=520, height=140 + 30 * len(counts), **COMMON)
    chart.show_legend = False
    chart.x_labels = [version or "?" for version, _n in counts]
    chart.add("devices", [n for _v, n in counts])
    return _svg(chart)


def outcomes_chart(title: str, days: list[str], successes: list[int], failures: list[int]) -> str:
    """Update successes and failures per day."""
    chart = pygal.StackedBar(title=title, width=640, height=260, x_label_rotation=30, **COMMON)
    chart.x_labels = days
    chart.add("completed", successes)
    chart.add("failed / rolled back", failures)
    return _svg(chart)


def sessions_chart(title: str, by_status: dict[str, int]) -> str:
    """A rollout's update sessions by status."""
    chart = pygal.HorizontalStackedBar(title=title, width=520, height=150, **COMMON)
    chart.x_labels = [""]
    for status, n in by_status.items():
        chart.add(status.lower(), [n])
    return _svg(chart)


def share_chart(title: str, parts: list[tuple[str, int]]) -> str:
    """Shares of a whole (devices per platform, online and offline, alerts by severity)."""
    chart = pygal.Pie(title=title, width=360, height=260, inner_radius=0.5, **COMMON)
    for label, n in parts:
        chart.add(label or "?", n)
    return _svg(chart)


def failure_rate_chart(
    title: str, days: list[str], rates: list[float | None], threshold: float, label: str
) -> str:
    """A rollout's failure rate per day (gaps: no session finished) against its halting
    threshold."""
    chart = pygal.Line(
        title=title, width=520, height=220, x_label_rotation=30, range=(0, 100), **COMMON
    )
    chart.x_labels = days
    chart.add(label, rates)
    chart.add(f"{float(threshold):g} %", [float(threshold)] * len(days), show_dots=False)
    return _svg(chart)
