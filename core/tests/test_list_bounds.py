"""Every management list answers extreme filter and paging values with 200 or a 400 with a
`code`, never a 500 (out-of-range integers and time zone offsets reach PostgreSQL
otherwise), and never more rows than RELAIS_API_MAX_PAGE_SIZE."""

import pytest

from config.urls import MANAGE_ROUTERS
from devices.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

EXTREMES = [
    "100000000000000000000",
    "-100000000000000000000",
    "9223372036854775808",
    "2147483648",
    "-1",
    "1e309",
    "NaN",
    "0032-11-16T15:02:16+23:36",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01",
    "99999-01-01T00:00:00Z",
    "x" * 3000,
    "\u00ff\u2028",
]
LISTS = [
    (prefix, viewset)
    for router in MANAGE_ROUTERS
    for prefix, viewset, _ in router.registry
    if hasattr(viewset, "list")
]


def _filter_names(viewset):
    filterset = getattr(viewset, "filterset_class", None)
    return sorted(filterset.base_filters) if filterset else []


def _assert_answered(response):
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert response.json()["code"]


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[p for p, _ in LISTS])
def test_extreme_filter_values_on_every_list(platform_client, prefix, viewset):
    DeviceFactory()
    names = _filter_names(viewset)
    for name in names:
        for value in EXTREMES:
            response = platform_client.get(f"/api/v1/manage/{prefix}/", {name: value})
            _assert_answered(response)


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[p for p, _ in LISTS])
def test_extreme_paging_on_every_list(platform_client, prefix, viewset):
    DeviceFactory()
    for limit in ["100000000000000000000", "0", "-5", "x"]:
        for offset in ["100000000000000000000", "-1", "1", "9223372036854775807"]:
            response = platform_client.get(
                f"/api/v1/manage/{prefix}/", {"limit": limit, "offset": offset}
            )
            _assert_answered(response)


def test_the_page_size_is_capped(platform_client, settings):
    settings.RELAIS_API_MAX_PAGE_SIZE = 3
    for _ in range(5):
        DeviceFactory()
    response = platform_client.get("/api/v1/manage/devices/", {"limit": 100000000000000000000})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5 and len(body["results"]) == 3 and body["next"]


def test_an_aware_datetime_filter_is_compared_in_utc(platform_client):
    device = DeviceFactory()
    seen = device.last_seen_at.astimezone().isoformat()
    before = platform_client.get("/api/v1/manage/devices/", {"last_seen_before": seen}).json()
    assert [row["id"] for row in before["results"]] == [str(device.pk)]


def test_a_datetime_beyond_the_calendar_in_utc_is_a_400(platform_client):
    response = platform_client.get(
        "/api/v1/manage/devices/", {"last_seen_before": "0001-01-01T00:00:00+23:59"}
    )
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("value", "valid"),
    [("1e30", False), ("-9223372036854775809", False), ("9223372036854775807", True), ("7", True)],
)
def test_number_filters_are_bounded_to_bigint(value, valid):
    import django_filters

    from core.tenancy import TenantScopedFilterSet
    from licensing.models import Policy

    class PolicyFilter(TenantScopedFilterSet):
        max_devices = django_filters.NumberFilter()
        seats = django_filters.RangeFilter(field_name="max_devices")

        class Meta:
            model = Policy
            fields = ["max_devices"]

    assert PolicyFilter({"max_devices": value}, queryset=Policy.objects.all()).is_valid() is valid
    ranged = PolicyFilter({"seats_min": "0", "seats_max": value}, queryset=Policy.objects.all())
    assert ranged.is_valid() is valid
    if valid:
        list(ranged.qs)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/devices/device/?last_seen_at__gte=0032-11-16T15:02:16%2B23:36", 200),
        ("/admin/licensing/license/?created_at__lt=0032-11-16+15:02:16%2B23:36", 200),
        ("/admin/devices/device/?last_seen_at__gte=0001-01-01T00:00:00%2B23:59", 400),
        ("/admin/releases/updatesession/?started_at__lt=9999-12-31T23:59:59-23:59", 400),
    ],
)
def test_admin_changelists_take_any_offset(client, url, status):
    from licensing.tests.factories import UserFactory

    DeviceFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(url)
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "٣"}, "limit"),  # a digit to str.isdigit, not a whole number to a client
        ({"offset": "x"}, "offset"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_paging_that_is_not_a_whole_number_is_refused(platform_client, params, field):
    DeviceFactory()
    response = platform_client.get("/api/v1/manage/devices/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR" and field in str(body), body


def test_paging_in_range_is_served(platform_client):
    DeviceFactory(), DeviceFactory()
    response = platform_client.get("/api/v1/manage/devices/", {"limit": "1", "offset": "1"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1


def test_the_paging_refusal_speaks_french(platform_client):
    response = platform_client.get(
        "/api/v1/manage/devices/", {"limit": "abc"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.json()["errors"] == {"limit": ["Doit être un nombre entier, au moins 1."]}
