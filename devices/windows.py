"""Maintenance windows: when a device may be updated. A tenant keeps a list of windows
(`Tenant.maintenance_windows`, read with the device by the node authenticator, so the
update check decides without a query), each for the whole tenant, one site (a device) or
a device group (a device tag):

    {"days": ["mon", …], "start": "02:00", "end": "05:00", "timezone": "Europe/Paris",
     "site": "<device id>" | "group": "<tag>"}

`days` defaults to every day; an empty list means never (NEOPRO's AUTO_UPDATE_ENABLED=
false). `end` before `start` crosses midnight (the window belongs to its starting day).
The most specific scope that has windows decides: the device's own, else its groups',
else the tenant's; with none at all the device may be updated at any time (as before
windows existed). Inside any window of that scope, the device is inside."""

from datetime import datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIELDS = {"days", "start", "end", "timezone", "site", "group"}
NEOPRO_FIELDS = {"autoUpdateEnabled", "autoUpdateHour"}
MAX_WINDOWS = 200


def _refuse(message: str, index: int | None = None) -> NoReturn:
    where = {"window": index} if index is not None else {}
    raise ApiError("INVALID_WINDOWS", message, 400, **where)


def _clock(value, index: int) -> str:
    try:
        parsed = time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        _refuse(_("Times are HH:MM, 00:00 to 23:59 (got %(v)r).") % {"v": value}, index)
    return parsed.strftime("%H:%M")


def _neopro(raw: dict, index: int) -> dict:
    """NEOPRO's AUTO_UPDATE_ENABLED / AUTO_UPDATE_HOUR: the hour that starts at
    AUTO_UPDATE_HOUR each day, or never when disabled."""
    enabled, hour = raw.pop("autoUpdateEnabled", True), raw.pop("autoUpdateHour", 3)
    if not isinstance(enabled, bool):
        _refuse(_("autoUpdateEnabled is true or false."), index)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        _refuse(_("autoUpdateHour is a whole hour, 0 to 23."), index)
    if "days" in raw or "start" in raw or "end" in raw:
        _refuse(_("Give autoUpdateHour, or days/start/end, not both."), index)
    raw["start"], raw["end"] = f"{hour:02d}:00", f"{(hour + 1) % 24:02d}:00"
    raw["days"] = list(DAYS) if enabled else []
    return raw


def window_clean(raw, index: int = 0) -> dict:
    """One window, validated and normalised, or ApiError INVALID_WINDOWS naming it."""
    if not isinstance(raw, dict):
        _refuse(_("Each window is an object."), index)
    raw = dict(raw)
    if NEOPRO_FIELDS & set(raw):
        raw = _neopro(raw, index)
    unknown = set(raw) - FIELDS
    if unknown:
        _refuse(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))}, index)
    days = raw.get("days", list(DAYS))
    if not isinstance(days, list) or any(d not in DAYS for d in days):
        _refuse(_("days lists mon, tue, wed, thu, fri, sat, sun."), index)
    start, end = _clock(raw.get("start"), index), _clock(raw.get("end"), index)
    if start == end:
        _refuse(_("A window's end must differ from its start."), index)
    zone = raw.get("timezone", "UTC")
    try:
        ZoneInfo(zone) if isinstance(zone, str) and zone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if not isinstance(zone, str) or not zone:
        _refuse(_("Unknown time zone: %(z)r.") % {"z": raw.get("timezone")}, index)
    clean = {"days": [d for d in DAYS if d in days], "start": start, "end": end, "timezone": zone}
    if "site" in raw and "group" in raw:
        _refuse(_("A window is for a site or a group, not both."), index)
    for scope in ("site", "group"):
        if scope in raw:
            if not isinstance(raw[scope], str) or not 0 < len(raw[scope]) <= 200:
                _refuse(_("%(s)s is a non-empty string.") % {"s": scope}, index)
            clean[scope] = raw[scope]
    return clean


def windows_clean(raw) -> list[dict]:
    if not isinstance(raw, list):
        _refuse(_("Maintenance windows are a list."))
    if len(raw) > MAX_WINDOWS:
        _refuse(_("At most %(n)d windows per tenant.") % {"n": MAX_WINDOWS})
    return [window_clean(item, index) for index, item in enumerate(raw)]


def _inside(window: dict, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(window["timezone"]))
    start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
    clock = local.time().replace(tzinfo=None)
    if start < end:
        return DAYS[local.weekday()] in window["days"] and start <= clock < end
    # Crosses midnight: after the start on a window day, or before the end the day after.
    if clock >= start:
        return DAYS[local.weekday()] in window["days"]
    yesterday = (local - timedelta(days=1)).weekday()
    return clock < end and DAYS[yesterday] in window["days"]


def device_windows(windows: list[dict], *, device_id, tags) -> list[dict]:
    """The windows that decide for a device: its own, else its groups', else the tenant's."""
    mine = [w for w in windows if w.get("site") == str(device_id)]
    if mine:
        return mine
    groups = set(tags or ()) if isinstance(tags, list | tuple | set) else set()
    grouped = [w for w in windows if w.get("group") in groups]
    if grouped:
        return grouped
    return [w for w in windows if "site" not in w and "group" not in w]


def window_open(device, now: datetime | None = None) -> bool:
    """Whether `device` (with its tenant loaded) may be updated now."""
    windows = device_windows(
        device.tenant.maintenance_windows or [], device_id=device.pk, tags=device.tags
    )
    if not windows:
        return True
    now = now or timezone.now()
    return any(_inside(window, now) for window in windows)
