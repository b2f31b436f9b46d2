"""The three bodies a report arrives in (canonical, CyberSensei, NEOPRO heartbeat), checked
by hand and turned into `Report`s. A hot path: plain Python, no serializer pass; errors are
collected per field in DRF's shape and raised as one ApiError with a code."""

import contextlib
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.api.serializers import INT_MAX
from core.exceptions import ApiError

MAX_BATCH = 500
MAX_METRICS = 64
MAX_NAME = 64
MAX_VERSION = 100
BIGINT_MAX = 2**63 - 1
MAX_ABS = 1e15  # sums of a million such values stay finite in a float8


@dataclass
class Report:
    metrics: dict
    kind: str = "telemetry"
    reported_at: datetime | None = None
    uptime: int | None = None  # seconds
    version: str = ""


@dataclass
class Errors:
    """Field errors, nested like DRF's; the first specific code names the whole refusal."""

    found: dict = field(default_factory=dict)
    codes: list = field(default_factory=list)

    def add(self, path: tuple, code: str, message: str) -> None:
        node = self.found
        for part in path[:-1]:
            node = node.setdefault(str(part), {})
        node.setdefault(str(path[-1]), []).append(message)
        self.codes.append(code)

    def raise_if_any(self) -> None:
        if not self.found:
            return
        codes = set(self.codes)
        code = codes.pop() if len(codes) == 1 else "VALIDATION_ERROR"
        raise ApiError(code, _("Invalid input."), 400, errors=self.found)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(
    errors: Errors,
    path,
    value,
    *,
    nullable=False,
    minimum=None,
    integer=False,
    code="INVALID_METRIC",
):
    """A finite JSON number (not a boolean, not a string), or None when `nullable`."""
    if value is None:
        if not nullable:
            errors.add(path, "VALIDATION_ERROR", _("This field may not be null."))
        return None
    if not _is_number(value) or (integer and not isinstance(value, int)):
        expected = _("an integer") if integer else _("a number")
        errors.add(path, code, _("Expected %(type)s.") % {"type": expected})
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors.add(path, "NON_FINITE_METRIC", _("Must be a finite number."))
        return None
    if abs(value) > (BIGINT_MAX if integer else MAX_ABS):
        errors.add(path, code, _("Out of range."))
        return None
    if minimum is not None and value < minimum:
        errors.add(path, code, _("Must be at least %(min)s.") % {"min": minimum})
        return None
    return value


def _text(errors: Errors, path, value, *, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(path, "VALIDATION_ERROR", _("Expected a string."))
        return ""
    if len(value) > max_length:
        errors.add(path, "VALIDATION_ERROR", _("At most %(n)d characters.") % {"n": max_length})
        return ""
    return value


def _object(errors: Errors, path, value) -> dict | None:
    if not isinstance(value, dict):
        errors.add(path, "VALIDATION_ERROR", _("Expected an object."))
        return None
    return value


def _unknown(errors: Errors, path: tuple, data: dict, known: set) -> None:
    for name in sorted(set(data) - known):
        errors.add((*path, name), "VALIDATION_ERROR", _("Unknown field."))


def metrics_dict(errors: Errors, path, value, *, extra_ok=True) -> dict:
    """`{name: number or null}`: at most 64 names of at most 64 characters."""
    data = _object(errors, path, value)
    if data is None:
        return {}
    if len(data) > MAX_METRICS:
        errors.add(path, "VALIDATION_ERROR", _("At most %(n)d metrics.") % {"n": MAX_METRICS})
        return {}
    clean = {}
    for name, item in data.items():
        if not name or len(name) > MAX_NAME:
            errors.add((*path, name[:MAX_NAME]), "VALIDATION_ERROR", _("Invalid metric name."))
            continue
        clean[name] = number(errors, (*path, name), item, nullable=True)
    return clean


def _finite_everywhere(errors: Errors, path, value) -> None:
    """Free JSON (CyberSensei's additionalData): every number in it must be finite."""
    if isinstance(value, float) and not math.isfinite(value):
        errors.add(path, "NON_FINITE_METRIC", _("Must be a finite number."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _finite_everywhere(errors, (*path, key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite_everywhere(errors, (*path, index), item)


def _when(errors: Errors, path, when: datetime | None, now: datetime) -> datetime | None:
    """A device's time, refused far in the future (a wrong clock would poison the charts) or
    older than retention keeps."""
    if when is None:
        return None
    if when > now + timedelta(seconds=settings.RELAIS_TELEMETRY_MAX_CLOCK_SKEW_SECONDS):
        errors.add(path, "TIMESTAMP_IN_FUTURE", _("This time is in the future."))
        return None
    if when < now - timedelta(days=settings.RELAIS_TELEMETRY_RETENTION_DAYS):
        errors.add(path, "TIMESTAMP_TOO_OLD", _("This time is older than retention keeps."))
        return None
    return when


def iso_time(errors: Errors, path, value, now: datetime) -> datetime | None:
    if value is None:
        return None
    try:  # a well-formed but impossible time ("12:60") raises, as a malformed one is None
        when = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        when = None
    if when is None:
        errors.add(path, "VALIDATION_ERROR", _("Expected an ISO 8601 date and time."))
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _when(errors, path, when, now)


def epoch_ms(errors: Errors, path, value, now: datetime) -> datetime | None:
    skew = settings.RELAIS_TELEMETRY_MAX_CLOCK_SKEW_SECONDS
    if _is_number(value) and value > (now.timestamp() + skew) * 1000:
        errors.add(path, "TIMESTAMP_IN_FUTURE", _("This time is in the future."))
        return None
    millis = number(errors, path, value, minimum=0, code="INVALID_TIMESTAMP")
    if millis is None:
        return None
    try:
        when = datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        errors.add(path, "TIMESTAMP_IN_FUTURE", _("This time is in the future."))
        return None
    return _when(errors, path, when, now)


# --- Canonical: POST /api/v1/telemetry ----------------------------------------------------

REPORT_FIELDS = {"metrics", "reportedAt", "uptime", "version", "kind"}
KINDS = {"telemetry", "heartbeat"}


def _canonical(errors: Errors, path: tuple, data, now) -> Report | None:
    data = _object(errors, path or ("non_field_errors",), data)
    if data is None:
        return None
    _unknown(errors, path, data, REPORT_FIELDS | ({"hardwareId"} if not path else set()))
    kind = data.get("kind", "telemetry")
    if not isinstance(kind, str) or kind not in KINDS:
        errors.add((*path, "kind"), "VALIDATION_ERROR", _("Expected telemetry or heartbeat."))
    uptime = data.get("uptime")
    return Report(
        metrics=metrics_dict(errors, (*path, "metrics"), data.get("metrics", {})),
        kind=kind,
        reported_at=iso_time(errors, (*path, "reportedAt"), data.get("reportedAt"), now),
        uptime=number(errors, (*path, "uptime"), uptime, nullable=True, minimum=0, integer=True),
        version=_text(errors, (*path, "version"), data.get("version"), max_length=MAX_VERSION),
    )


def canonical_reports(data, *, now: datetime) -> list[Report]:
    """One report `{metrics, reportedAt?, uptime?, version?, kind?}` or a batch
    `{reports: [...]}` of at most 500; a batch is refused whole."""
    errors = Errors()
    if isinstance(data, dict) and "reports" in data:
        _unknown(errors, (), data, {"reports", "hardwareId"})
        items = data["reports"]
        if not isinstance(items, list) or not items:
            errors.add(("reports",), "VALIDATION_ERROR", _("Expected a non-empty list."))
            errors.raise_if_any()
        if len(items) > MAX_BATCH:
            raise ApiError(
                "BATCH_TOO_LARGE",
                _("At most %(n)d reports per batch.") % {"n": MAX_BATCH},
                400,
            )
        reports = [_canonical(errors, ("reports", i), item, now) for i, item in enumerate(items)]
    else:
        reports = [_canonical(errors, (), data, now)]
    errors.raise_if_any()
    return reports


# --- CyberSensei: POST /telemetry --------------------------------------------------------

CYBERSENSEI_FIELDS = {
    "tenantId",
    "uptime",
    "activeUsers",
    "exercisesCompletedToday",
    "aiLatency",
    "version",
    "additionalData",
    "nodeId",
}
MAX_NODE_ID = 200  # a device's hardware id


@dataclass
class NodeReport:
    """A CyberSensei report: its tenant, the node's id when it sends one (`nodeId`, or
    `additionalData.nodeId` for a client that can only add data there), the report."""

    tenant_id: uuid.UUID
    node_id: str
    report: Report


def _node_id(errors: Errors, data: dict) -> str:
    extra = data.get("additionalData")
    path, value = ("nodeId",), data.get("nodeId")
    if value is None and isinstance(extra, dict) and extra.get("nodeId") is not None:
        path, value = ("additionalData", "nodeId"), extra["nodeId"]
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        errors.add(path, "INVALID_NODE_ID", _("Expected a non-empty string."))
        return ""
    if len(value) > MAX_NODE_ID:
        errors.add(path, "INVALID_NODE_ID", _("At most %(n)d characters.") % {"n": MAX_NODE_ID})
        return ""
    return value.strip()


def cybersensei_report(data, *, now: datetime) -> NodeReport:
    """The seed's body; `nodeId` (optional, ours) identifies the node among its tenant's."""
    errors = Errors()
    data = _object(errors, ("non_field_errors",), data)
    errors.raise_if_any()
    _unknown(errors, (), data, CYBERSENSEI_FIELDS)
    tenant_id = None
    raw = data.get("tenantId")
    with contextlib.suppress(ValueError):
        tenant_id = uuid.UUID(raw) if isinstance(raw, str) and len(raw) <= 36 else None
    if tenant_id is None:
        errors.add(("tenantId",), "INVALID_TENANT_ID", _("Expected a UUID."))
    metrics = {}
    for name in ("uptime", "activeUsers", "exercisesCompletedToday"):
        if name not in data:
            errors.add((name,), "VALIDATION_ERROR", _("This field is required."))
            continue
        metrics[name] = number(errors, (name,), data[name], minimum=0, integer=True)
    metrics["aiLatency"] = number(
        errors, ("aiLatency",), data.get("aiLatency"), nullable=True, minimum=0
    )
    extra = data.get("additionalData")
    if extra is not None and _object(errors, ("additionalData",), extra) is not None:
        _finite_everywhere(errors, ("additionalData",), extra)
        metrics["additionalData"] = extra
    version = _text(errors, ("version",), data.get("version"), max_length=MAX_VERSION)
    node_id = _node_id(errors, data)
    errors.raise_if_any()
    assert tenant_id is not None  # an error otherwise
    uptime = metrics.pop("uptime")
    report = Report(metrics=metrics, uptime=uptime, version=version)
    return NodeReport(tenant_id=tenant_id, node_id=node_id, report=report)


# --- NEOPRO: POST /api/v1/devices/heartbeat ----------------------------------------------

HEARTBEAT_FIELDS = {"siteId", "timestamp", "metrics", "hardwareId"}


def heartbeat_report(data, *, now: datetime) -> tuple[str, Report]:
    """`{siteId, timestamp (epoch ms), metrics{cpu, memory, temperature, disk, uptime (ms)}}`."""
    errors = Errors()
    data = _object(errors, ("non_field_errors",), data)
    errors.raise_if_any()
    _unknown(errors, (), data, HEARTBEAT_FIELDS)
    for name in ("siteId", "timestamp", "metrics"):
        if name not in data:
            errors.add((name,), "VALIDATION_ERROR", _("This field is required."))
    errors.raise_if_any()
    site_id = data["siteId"]
    if not isinstance(site_id, str) or not site_id or len(site_id) > 64:
        errors.add(("siteId",), "VALIDATION_ERROR", _("Expected a site id."))
    reported_at = epoch_ms(errors, ("timestamp",), data["timestamp"], now)
    metrics = metrics_dict(errors, ("metrics",), data["metrics"])
    uptime_ms = metrics.pop("uptime", None)
    if uptime_ms is not None and uptime_ms < 0:
        errors.add(("metrics", "uptime"), "INVALID_METRIC", _("Must be at least 0."))
    errors.raise_if_any()
    uptime = min(int(uptime_ms // 1000), INT_MAX * 2**31) if uptime_ms is not None else None
    return site_id, Report(
        metrics=metrics, kind="heartbeat", reported_at=reported_at, uptime=uptime
    )
