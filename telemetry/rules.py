"""Alert thresholds: the NEOPRO seed's defaults, overridden by AlertRule rows.

Rules are read on every report, so each worker keeps them in memory (one query to load,
at most every RELAIS_ALERT_RULES_MEMO_SECONDS; a change made in this process is seen at
once, one made in another within that time)."""

import time
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Rule:
    warning: float | None
    critical: float | None
    margin: float

    @property
    def opens_at(self) -> float | None:
        """The lowest threshold: an alert opens above it and resolves under it - margin."""
        values = [v for v in (self.warning, self.critical) if v is not None]
        return min(values) if values else None

    def severity(self, value: float) -> str | None:
        """The severity a value calls for (None: under every threshold)."""
        if self.critical is not None and value > self.critical:
            return "critical"
        if self.warning is not None and value > self.warning:
            return "warning"
        return None

    def recovered(self, value: float) -> bool:
        opens_at = self.opens_at
        return opens_at is None or value <= opens_at - self.margin


def metric_value(metrics: dict, name: str):
    """The value a rule on `name` reads in a report's metrics: a top-level field
    (`temperature`, `aiLatency`, `activeUsers`) or, dotted, a field nested in an object
    (`additionalData.cpuUsage`). None when absent; the caller checks it is a number."""
    if name in metrics:
        return metrics[name]
    value = metrics
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# The NEOPRO seed: temperature > 75 °C warning, > 80 critical; disk > 90 % warning, > 95
# critical; memory > 90 % warning. Margins keep an alert from flapping around its threshold.
DEFAULTS = {
    "temperature": Rule(warning=75, critical=80, margin=3),
    "disk": Rule(warning=90, critical=95, margin=2),
    "memory": Rule(warning=90, critical=None, margin=5),
}

_memo: dict = {"loaded": None, "rows": []}


def forget() -> None:
    """Reload the rules on next use (called after a change; tests)."""
    _memo["loaded"] = None


def _rows() -> list:
    loaded = _memo["loaded"]
    if loaded is None or time.monotonic() - loaded > settings.RELAIS_ALERT_RULES_MEMO_SECONDS:
        from .models import AlertRule

        _memo["rows"] = list(
            AlertRule.objects.values_list(
                "tenant_id", "product_id", "metric", "warning", "critical", "margin", "is_enabled"
            )
        )
        _memo["loaded"] = time.monotonic()
    return _memo["rows"]


def rules_for(*, tenant_id, product_id) -> dict[str, Rule]:
    """metric → Rule for a device of `tenant_id` running `product_id`: the most specific
    rule of (tenant, product), (tenant), (product), (everyone), then the defaults."""
    rows = _rows()
    if not rows:
        return DEFAULTS
    rank = {
        (str(tenant_id), product_id): 4,
        (str(tenant_id), None): 3,
        (None, product_id): 2,
        (None, None): 1,
    }
    best: dict[str, tuple[int, tuple]] = {}
    for row in rows:
        tenant, product = row[0], row[1]
        score = rank.get((str(tenant) if tenant is not None else None, product))
        if score and score > best.get(row[2], (0, None))[0]:
            best[row[2]] = (score, row)
    if not best:
        return DEFAULTS
    rules = dict(DEFAULTS)
    for metric, (_score, row) in best.items():
        if not row[6]:
            rules.pop(metric, None)
            continue
        rules[metric] = Rule(warning=row[3], critical=row[4], margin=row[5])
    return rules
