"""Maintenance windows: which scope decides, days, hours, midnight, time zones, NEOPRO's
AUTO_UPDATE_* mapping and the refusals (the clock is passed explicitly)."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from core.exceptions import ApiError
from devices.windows import window_clean, window_open, windows_clean

MONDAY_3H_PARIS = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)  # 03:30 in Paris (UTC+1)


def _device(windows, *, pk="0b7e4a52-57a7-4c4e-9a8b-000000000001", tags=()):
    return SimpleNamespace(
        pk=pk, tags=list(tags), tenant=SimpleNamespace(maintenance_windows=windows)
    )


def test_no_window_means_any_time():
    assert window_open(_device([]), MONDAY_3H_PARIS)


def test_hours_days_and_time_zone():
    nightly = windows_clean([{"start": "03:00", "end": "04:00", "timezone": "Europe/Paris"}])
    assert window_open(_device(nightly), MONDAY_3H_PARIS)
    assert not window_open(_device(nightly), datetime(2026, 12, 7, 3, 30, tzinfo=UTC))
    weekend = windows_clean([{"days": ["sat", "sun"], "start": "03:00", "end": "04:00"}])
    assert not window_open(_device(weekend), datetime(2026, 12, 7, 3, 30, tzinfo=UTC))
    assert window_open(_device(weekend), datetime(2026, 12, 6, 3, 30, tzinfo=UTC))  # Sunday


def test_summer_time_moves_the_window_with_the_local_clock():
    nightly = windows_clean([{"start": "03:00", "end": "04:00", "timezone": "Europe/Paris"}])
    summer = datetime(2026, 7, 6, 1, 30, tzinfo=UTC)  # 03:30 in Paris (UTC+2)
    assert window_open(_device(nightly), summer)
    assert not window_open(_device(nightly), datetime(2026, 7, 6, 2, 30, tzinfo=UTC))


def test_a_window_across_midnight_belongs_to_its_starting_day():
    friday_night = windows_clean([{"days": ["fri"], "start": "22:00", "end": "02:00"}])
    device = _device(friday_night)
    assert window_open(device, datetime(2026, 12, 11, 23, 0, tzinfo=UTC))  # Friday 23:00
    assert window_open(device, datetime(2026, 12, 12, 1, 0, tzinfo=UTC))  # Saturday 01:00
    assert not window_open(device, datetime(2026, 12, 12, 23, 0, tzinfo=UTC))  # Saturday 23:00
    assert not window_open(device, datetime(2026, 12, 11, 1, 0, tzinfo=UTC))  # Friday 01:00


def test_the_most_specific_scope_decides():
    site = "0b7e4a52-57a7-4c4e-9a8b-000000000001"
    windows = windows_clean(
        [
            {"start": "00:00", "end": "23:59"},  # the tenant: almost always
            {"group": "kiosks", "start": "03:00", "end": "04:00"},
            {"site": site, "start": "05:00", "end": "06:00"},
        ]
    )
    at_0530 = datetime(2026, 12, 7, 5, 30, tzinfo=UTC)
    at_0330 = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    assert window_open(_device(windows, pk=site, tags=["kiosks"]), at_0530)
    assert not window_open(_device(windows, pk=site, tags=["kiosks"]), at_0330)
    other = "0b7e4a52-57a7-4c4e-9a8b-000000000002"
    assert window_open(_device(windows, pk=other, tags=["kiosks"]), at_0330)
    assert not window_open(_device(windows, pk=other, tags=["kiosks"]), at_0530)
    assert window_open(_device(windows, pk=other), at_0530)


def test_neopro_auto_update_hour_and_disabled():
    assert window_clean({"site": "s", "autoUpdateHour": 3}) == {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "03:00",
        "end": "04:00",
        "timezone": "UTC",
        "site": "s",
    }
    assert window_clean({"autoUpdateEnabled": True, "autoUpdateHour": 23})["end"] == "00:00"
    never = windows_clean([{"autoUpdateEnabled": False, "timezone": "Europe/Paris"}])
    assert never[0]["days"] == []
    assert not window_open(_device(never), MONDAY_3H_PARIS)  # AUTO_UPDATE_ENABLED=false


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        ["not an object"],
        [{"start": "3h", "end": "04:00"}],
        [{"start": "03:00", "end": "24:00"}],
        [{"start": "03:00", "end": "03:00"}],
        [{"start": "03:00", "end": "04:00", "days": ["lundi"]}],
        [{"start": "03:00", "end": "04:00", "timezone": "Mars/Olympus"}],
        [{"start": "03:00", "end": "04:00", "site": "a", "group": "b"}],
        [{"start": "03:00", "end": "04:00", "colour": "blue"}],
        [{"autoUpdateHour": 24}],
        [{"autoUpdateHour": 3, "start": "03:00"}],
    ],
)
def test_refusals_name_the_problem(bad):
    with pytest.raises(ApiError) as refused:
        windows_clean(bad)
    assert refused.value.code == "INVALID_WINDOWS" and refused.value.message
