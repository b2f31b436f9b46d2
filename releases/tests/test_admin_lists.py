"""The update-session list at fleet scale (issue 22): bounded queries, no exact COUNT(*)
over the whole table, and an id-looking search matched as a prefix of the device's
hardware id."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.admin_lists import CappedCountPaginator
from devices.tests.test_admin_lists import _counts_of, assert_no_full_count
from licensing.tests.factories import TenantFactory
from licensing.tests.tenancy import staff_of
from releases.models import UpdateSession
from releases.tests.factories import _session_of

pytestmark = pytest.mark.django_db

LIST = "/admin/releases/updatesession/"


def _get(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200, response.status_code
    return response, [q["sql"] for q in queries.captured_queries]


def _sessions(tenant, n):
    return [_session_of(tenant) for _ in range(n)]


def test_the_session_list_runs_the_same_queries_for_2_or_8_sessions(client, platform_admin):
    client.force_login(platform_admin)
    tenant = TenantFactory()
    _sessions(tenant, 2)
    _, few = _get(client)
    _sessions(tenant, 6)
    response, many = _get(client)
    assert len(many) == len(few) <= 12
    assert_no_full_count(many, "releases_updatesession")
    assert len(_counts_of(many, "releases_updatesession")) == 1
    assert response.context["cl"].result_count == 8


def test_a_filtered_session_list_counts_with_a_cap(client, platform_admin, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    client.force_login(platform_admin)
    _sessions(TenantFactory(), 4)
    response, sqls = _get(client, status__exact="PENDING")
    assert_no_full_count(sqls, "releases_updatesession")
    assert response.context["cl"].result_count == 3  # cap + 1


def test_a_session_search_by_hardware_id_prefix_stays_in_the_tenant(client):
    mine, theirs = TenantFactory(), TenantFactory()
    (own,) = _sessions(mine, 1)
    (foreign,) = _sessions(theirs, 1)
    client.force_login(staff_of(mine, UpdateSession))
    response, sqls = _get(client, q=own.device.hardware_id)
    assert [s.pk for s in response.context["cl"].result_list] == [own.pk]
    searches = [s for s in sqls if "hardware_id" in s and "LIKE" in s.upper()]
    assert searches and all(f"%{own.device.hardware_id}%" not in s for s in searches)
    response, _ = _get(client, q=foreign.device.hardware_id)
    assert list(response.context["cl"].result_list) == []


def test_the_version_filter_offers_readable_releases_without_scanning_sessions(client):
    mine, theirs = TenantFactory(), TenantFactory()
    (own,) = _sessions(mine, 1)
    _sessions(theirs, 1)
    client.force_login(staff_of(mine, UpdateSession))
    response, sqls = _get(client, to_version=own.to_version)
    assert [s.pk for s in response.context["cl"].result_list] == [own.pk]
    assert not [s for s in sqls if "DISTINCT" in s.upper() and "releases_updatesession" in s]
    assert f"?to_version={own.to_version}".encode() in response.content
