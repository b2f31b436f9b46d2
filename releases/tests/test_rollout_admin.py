"""The backoffice: "Force the update" on the release page, in English and French, its
refusals, and the rollout actions."""

import pytest
from django.utils import translation

from core.models import Event
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory, TenantFactory, UserFactory
from releases.models import Rollout
from releases.tests.factories import ReleaseFactory, published_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    return published_release(product=ProductFactory(name="ITStock CRM"), version="1.1.0")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _url(release):
    return f"/admin/releases/release/{release.pk}/force/"


def test_release_page_has_the_button_in_english_and_french(staff_client, release):
    page = staff_client.get(f"/admin/releases/release/{release.pk}/change/")
    assert "Force the update" in page.content.decode()
    page = staff_client.get(
        f"/admin/releases/release/{release.pk}/change/", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "Forcer la mise à jour" in page.content.decode()
    translation.activate("en")


def test_force_progressively_for_all_devices(staff_client, release):
    response = staff_client.post(
        _url(release),
        {
            "audience": "all",
            "progressive": "on",
            "percents": "10,50,100",
            "hold_minutes": 60,
            "forced": "on",
            "max_failure_rate": 10,
            "min_sample": 20,
        },
    )
    assert response.status_code == 302 and response.url == "/admin/"
    rollout = Rollout.objects.get()
    assert rollout.forced and rollout.percent == 10
    assert [s["percent"] for s in rollout.stages] == [10, 50, 100]
    types = set(Event.objects.values_list("type", flat=True))
    assert {"rollout.started", "update.forced"} <= types


def test_force_immediately_for_selected_devices_by_hardware_id(staff_client, release):
    devices = [DeviceFactory(license__policy__product=release.product) for _ in range(2)]
    refs = "\n".join([devices[0].hardware_id, str(devices[1].pk)])
    response = staff_client.post(
        _url(release),
        {
            "audience": "devices",
            "devices": refs,
            "hold_minutes": 0,
            "forced": "on",
            "max_failure_rate": 10,
            "min_sample": 20,
        },
    )
    assert response.status_code == 302
    rollout = Rollout.objects.get()
    assert rollout.percent == 100 and set(rollout.target_device_ids) == {str(d.pk) for d in devices}


BASE = {"audience": "all", "hold_minutes": 60, "max_failure_rate": 10, "min_sample": 20}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"progressive": "on", "percents": "50,10"}, "strictly increase"),
        ({"progressive": "on", "percents": "0,100"}, "between 1 and 100"),
        ({"progressive": "on", "percents": "10,150"}, "between 1 and 100"),
        ({"audience": "devices", "devices": "no-such-hardware"}, "Unknown devices"),
        ({"audience": "tenant"}, "Choose the tenant"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(
    staff_client, release, data, message
):
    events = Event.objects.count()
    response = staff_client.post(_url(release), {**BASE, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "The update was not started" in response.content.decode()
    assert not Rollout.objects.exists() and Event.objects.count() == events


def test_a_second_active_rollout_and_a_draft_are_refused(staff_client, release):
    assert staff_client.post(_url(release), BASE).status_code == 302
    response = staff_client.post(_url(release), BASE)
    assert "ROLLOUT_ACTIVE" in response.content.decode() and Rollout.objects.count() == 1
    draft = ReleaseFactory(product=release.product)
    response = staff_client.post(_url(draft), BASE)
    assert "RELEASE_NOT_PUBLISHED" in response.content.decode()
    assert Rollout.objects.count() == 1


def test_tenant_staff_cannot_select_another_tenants_devices(client, release):
    ours, theirs = TenantFactory(), TenantFactory()
    restricted = published_release(product=release.product, version="1.2.0", tenant=ours)
    staff = UserFactory(tenant=ours, is_staff=True, is_superuser=True)
    client.force_login(staff)
    foreign = DeviceFactory(license__tenant=theirs, license__policy__product=release.product)
    response = client.post(
        _url(restricted), {**BASE, "audience": "devices", "devices": foreign.hardware_id}
    )
    assert response.status_code == 200 and "Unknown devices" in response.content.decode()
    assert foreign.hardware_id in response.content.decode()
    assert not Rollout.objects.exists()
    # A shared release is the vendor's: not theirs to force.
    assert client.post(_url(release), BASE).status_code in (403, 404)


def test_rollout_actions(staff_client, release):
    staff_client.post(_url(release), {**BASE, "progressive": "on", "percents": "10,50"})
    rollout = Rollout.objects.get()
    url = "/admin/releases/rollout/"
    for action, status in [
        ("pause", "paused"),
        ("resume", "running"),
        ("advance", "running"),
        ("halt", "halted"),
    ]:
        response = staff_client.post(
            url, {"action": action, "_selected_action": [rollout.pk]}, follow=True
        )
        assert response.status_code == 200
        rollout.refresh_from_db()
        assert rollout.status == status, action
    assert rollout.percent == 50


def test_tenant_staff_never_see_another_tenants_id(client, release):
    from rest_framework.test import APIClient

    from releases.services.rollouts import rollout_start

    ours, theirs = TenantFactory(), TenantFactory()
    rollout = rollout_start(release=release, target_tenants=[ours, theirs])
    staff = UserFactory(tenant=ours, is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(f"/admin/releases/rollout/{rollout.pk}/change/").content.decode()
    assert "2 selected device" not in page and str(theirs.pk) not in page
    api = APIClient()
    api.force_authenticate(staff)
    body = api.get(f"/api/v1/manage/rollouts/{rollout.pk}/").json()
    assert body["target_tenants"] == [str(ours.pk)]
    assert str(theirs.pk) not in str(body)


def test_force_for_a_tenants_fleet(staff_client, release):
    tenant = TenantFactory(name="Acme")
    response = staff_client.post(
        _url(release), {**BASE, "audience": "tenant", "tenant": str(tenant.pk), "forced": "on"}
    )
    assert response.status_code == 302
    rollout = Rollout.objects.get()
    assert rollout.target_tenant_ids == [str(tenant.pk)] and rollout.forced
    assert Event.objects.filter(type="update.forced", tenant=tenant).exists()


CONFIRM = {"_form_submitted": "True"}  # what the confirmation dialog posts


def session_at(release, status):
    from releases.models import UpdateSession

    device = DeviceFactory(license__policy__product=release.product)
    from releases.services.sessions import session_id

    return UpdateSession.objects.create(
        id=session_id(device.pk, release.pk),
        device=device,
        release=release,
        to_version=release.version,
        status=status,
    )


def test_one_rollout_steered_from_its_page_and_its_row(staff_client, release):
    """The page's buttons and the row's menu: a dialog on GET, the service on POST, back to
    the page the button was on; a refusal is a message, not an error page."""
    staff_client.post(_url(release), {**BASE, "progressive": "on", "percents": "10,50"})
    rollout = Rollout.objects.get()
    page = f"/admin/releases/rollout/{rollout.pk}/change/"
    html = staff_client.get(page).content.decode()
    for name in ("advance_one", "pause_one", "resume_one", "halt_one"):
        assert f"/admin/releases/rollout/{rollout.pk}/{name}/" in html
    listing = staff_client.get("/admin/releases/rollout/").content.decode()
    assert f"/admin/releases/rollout/{rollout.pk}/pause_one/" in listing

    dialog = staff_client.get(f"/admin/releases/rollout/{rollout.pk}/pause_one/")
    assert dialog.status_code == 200 and "Pause this rollout?" in dialog.content.decode()
    rollout.refresh_from_db()
    assert rollout.status == "running"  # a GET changes nothing

    response = staff_client.post(f"/admin/releases/rollout/{rollout.pk}/pause_one/", CONFIRM)
    assert response.status_code == 302 and response["Location"] == page
    rollout.refresh_from_db()
    assert rollout.status == "paused"
    assert Event.objects.filter(type="rollout.paused").count() == 1

    # From the list, through htmx: the answer tells the browser where to go back to.
    response = staff_client.post(
        f"/admin/releases/rollout/{rollout.pk}/resume_one/",
        CONFIRM,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/admin/releases/rollout/?status=paused",
    )
    assert response["HX-Redirect"] == "http://testserver/admin/releases/rollout/?status=paused"
    rollout.refresh_from_db()
    assert rollout.status == "running"
    # Elsewhere than this site: back to the rollout's page instead.
    response = staff_client.post(
        f"/admin/releases/rollout/{rollout.pk}/advance_one/",
        CONFIRM,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="https://evil.example/",
    )
    assert response["HX-Redirect"] == page
    rollout.refresh_from_db()
    assert rollout.percent == 50

    staff_client.post(f"/admin/releases/rollout/{rollout.pk}/halt_one/", CONFIRM)
    response = staff_client.post(
        f"/admin/releases/rollout/{rollout.pk}/resume_one/", CONFIRM, follow=True
    )
    assert "cannot be resumed" in response.content.decode()
    rollout.refresh_from_db()
    assert rollout.status == "halted"


def test_rollout_page_shows_stages_progress_and_failure_rate(staff_client, release):
    staff_client.post(_url(release), {**BASE, "progressive": "on", "percents": "10,50"})
    rollout = Rollout.objects.get()
    for status in ["COMPLETED"] * 3 + ["FAILED"]:
        session_at(release, status)
    html = staff_client.get(f"/admin/releases/rollout/{rollout.pk}/change/").content.decode()
    assert 'id="rollout-progress"' in html
    assert html.count('class="rollout-stage') == 2 and 'data-reached="1"' in html
    assert "25.0 %" in html  # 1 failed of 4 finished
    assert "1 failed of 4 finished" in html


def test_tenant_staff_cannot_steer_another_tenants_rollout(client, release):
    from licensing.tests.tenancy import staff_of
    from releases.services.rollouts import rollout_start

    ours, theirs = TenantFactory(), TenantFactory()
    restricted = published_release(product=release.product, version="1.3.0", tenant=theirs)
    rollout = rollout_start(release=restricted, stages=[{"percent": 10}, {"percent": 50}])
    client.force_login(staff_of(ours, Rollout))
    for name in ("advance_one", "pause_one", "resume_one", "halt_one"):
        assert client.get(f"/admin/releases/rollout/{rollout.pk}/{name}/").status_code == 404
        assert (
            client.post(f"/admin/releases/rollout/{rollout.pk}/{name}/", CONFIRM).status_code == 404
        )
    assert client.get(f"/admin/releases/rollout/{rollout.pk}/change/").status_code == 302
    rollout.refresh_from_db()
    assert rollout.status == "running" and rollout.percent == 10
