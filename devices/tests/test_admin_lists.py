"""The device list at fleet scale (issue 22): a bounded number of queries whatever the
fleet's size, no exact COUNT(*) over the whole table, pages capped, and an id-looking search
answered by a hardware-id prefix (an index) rather than `icontains` over every row."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.admin_lists import CappedCountPaginator
from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory
from licensing.tests.tenancy import staff_of

pytestmark = pytest.mark.django_db

LIST = "/admin/devices/device/"


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def _get(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response, [q["sql"] for q in queries.captured_queries]


def _counts_of(sqls, table):
    return [sql for sql in sqls if "COUNT(" in sql.upper() and f'"{table}"' in sql]


def assert_no_full_count(sqls, table):
    """Every COUNT over `table` is bounded by a LIMIT (the capped count)."""
    counts = _counts_of(sqls, table)
    for sql in counts:
        assert re.search(r"\bLIMIT\b", sql, re.IGNORECASE), f"an exact COUNT(*): {sql}"


def test_the_device_list_runs_the_same_queries_for_3_or_30_devices(admin_client):
    license = LicenseFactory()
    DeviceFactory.create_batch(3, license=license)
    _, few = _get(admin_client, LIST)
    DeviceFactory.create_batch(27, license=license)
    response, many = _get(admin_client, LIST)
    assert len(many) == len(few) <= 12
    assert_no_full_count(many, "devices_device")
    assert len(_counts_of(many, "devices_device")) == 1  # the capped count, nothing else
    assert response.context["cl"].result_count == 30


def test_a_filtered_list_and_tenant_staff_count_with_a_cap(client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 4)
    license = LicenseFactory()
    DeviceFactory.create_batch(7, license=license)
    DeviceFactory(license=LicenseFactory())  # another tenant's
    client.force_login(staff_of(license.tenant, Device))
    response, sqls = _get(client, LIST, status__exact="active")
    assert_no_full_count(sqls, "devices_device")
    cl = response.context["cl"]
    assert cl.result_count == 5  # cap + 1: "more than the cap"
    assert all(d.tenant_id == license.tenant_id for d in cl.result_list)


def test_pages_stop_at_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 4)
    monkeypatch.setattr("devices.admin.DeviceAdmin.list_per_page", 2)
    DeviceFactory.create_batch(9, license=LicenseFactory())
    response, _ = _get(admin_client, LIST, p=2)
    assert len(response.context["cl"].result_list) == 2
    assert response.context["cl"].paginator.num_pages == 2
    deep = admin_client.get(LIST, {"p": 4})  # beyond the cap: the admin's "e=1" redirect
    assert deep.status_code == 302 and "e=1" in deep["Location"]


def test_unfiltered_postgresql_takes_the_planner_estimate(admin_client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("pg_class.reltuples is PostgreSQL's")
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    DeviceFactory.create_batch(8, license=LicenseFactory())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE devices_device")
    response, sqls = _get(admin_client, LIST)
    assert _counts_of(sqls, "devices_device") == []  # not even a capped one
    assert response.context["cl"].result_count == 8


def test_an_id_looking_search_is_a_hardware_id_prefix(admin_client):
    license = LicenseFactory()
    wanted = DeviceFactory(license=license, hardware_id="SN-4471-A", name="Caisse 1")
    DeviceFactory(license=license, hardware_id="XSN-4471-B")  # contains it, not a prefix
    response, sqls = _get(admin_client, LIST, q="SN-4471")
    assert [d.pk for d in response.context["cl"].result_list] == [wanted.pk]
    searches = [s for s in sqls if "hardware_id" in s and "LIKE" in s.upper()]
    assert searches and all("%SN-4471%" not in s for s in searches)
    assert_no_full_count(sqls, "devices_device")


def test_a_name_that_looks_like_an_id_falls_back_to_the_ordinary_search(admin_client):
    license = LicenseFactory()
    named = DeviceFactory(license=license, name="Kiosk-12", hardware_id="aa:bb")
    DeviceFactory(license=license, name="Other", hardware_id="cc:dd")
    response, _ = _get(admin_client, LIST, q="kiosk-12")
    assert [d.pk for d in response.context["cl"].result_list] == [named.pk]


def test_tenant_staff_search_never_finds_another_tenants_hardware_id(client):
    mine, theirs = LicenseFactory(), LicenseFactory()
    DeviceFactory(license=theirs, hardware_id="SN-9000-1")
    client.force_login(staff_of(mine.tenant, Device))
    response, _ = _get(client, LIST, q="SN-9000")
    assert list(response.context["cl"].result_list) == []


def test_the_platform_filter_lists_known_platforms_without_scanning_devices(admin_client, settings):
    settings.RELAIS_PLATFORMS = ["windows-x86_64", "linux-x86_64"]
    license = LicenseFactory()
    linux = DeviceFactory(license=license, platform="linux-x86_64")
    DeviceFactory(license=license, platform="windows-x86_64")
    response, sqls = _get(admin_client, LIST, platform="linux-x86_64")
    assert [d.pk for d in response.context["cl"].result_list] == [linux.pk]
    assert not [s for s in sqls if "DISTINCT" in s.upper() and "devices_device" in s]
    assert b"?platform=windows-x86_64" in response.content
