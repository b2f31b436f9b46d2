import uuid

import pytest

from core.models import Event
from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.models import UpdateSession
from releases.services.sessions import transition_allowed
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/updates/status"


@pytest.fixture
def setup(api_client):
    product = ProductFactory()
    device = DeviceFactory(license__policy__product=product, app_version="1.0.0")
    published_release(product=product, version="1.1.0")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    offer = api_client.get("/api/v1/updates/check", {"version": "1.0.0"}).json()
    return api_client, device, offer["sessionId"]


def _report(client, session, status, **extra):
    return client.post(STATUS, {"sessionId": session, "status": status, **extra}, format="json")


def test_the_seed_sequence_completes_and_sets_the_device_version(setup):
    client, device, session = setup
    for percent in (0, 50, 100):
        assert _report(client, session, "DOWNLOADING", downloadPercent=percent).status_code == 200
    for status in ("DOWNLOADED", "INSTALLING"):
        assert _report(client, session, status).status_code == 200
    response = _report(client, session, "COMPLETED", fromVersion="1.0.0", duration=12)
    assert response.status_code == 200
    assert response.json()["status"] == "COMPLETED" and response.json()["toVersion"] == "1.1.0"
    row = UpdateSession.objects.get(pk=session)
    assert row.completed_at and row.duration_seconds == 12 and row.from_version == "1.0.0"
    assert Device.objects.get(pk=device.pk).app_version == "1.1.0"
    assert Event.objects.filter(type="update.completed").count() == 1
    # And the device is now up to date.
    assert client.get("/api/v1/updates/check").json() == {"updateAvailable": False}


def test_failed_keeps_the_error_and_can_be_retried(setup):
    client, device, session = setup
    _report(client, session, "DOWNLOADING", downloadPercent=30)
    response = _report(
        client, session, "FAILED", errorMessage="Checksum mismatch - download corrupted"
    )
    assert response.json()["error"] == "Checksum mismatch - download corrupted"
    assert Device.objects.get(pk=device.pk).app_version == "1.0.0"
    late = _report(client, session, "DOWNLOADING", downloadPercent=40)  # the failed attempt's
    assert late.status_code == 200 and late.json()["stale"] is True
    assert late.json()["currentStatus"] == "FAILED"
    assert UpdateSession.objects.get().error == "Checksum mismatch - download corrupted"
    retry = _report(client, session, "DOWNLOADING", downloadPercent=0)
    assert retry.status_code == 200 and retry.json()["attempt"] == 2
    assert UpdateSession.objects.count() == 1 and UpdateSession.objects.get().error == ""


def test_rolled_back_puts_the_device_back_on_its_version(setup):
    client, device, session = setup
    _report(client, session, "COMPLETED", fromVersion="1.0.0")
    assert Device.objects.get(pk=device.pk).app_version == "1.1.0"
    assert _report(client, session, "ROLLED_BACK").status_code == 200
    assert Device.objects.get(pk=device.pk).app_version == "1.0.0"


def test_invalid_transitions_are_refused_with_a_code(setup):
    client, _, session = setup
    _report(client, session, "INSTALLING")
    _report(client, session, "COMPLETED")
    response = _report(client, session, "DOWNLOADING")
    assert response.status_code == 409 and response.json()["code"] == "INVALID_TRANSITION"
    assert response.json()["currentStatus"] == "COMPLETED"
    assert _report(client, session, "FAILED").status_code == 409
    assert _report(client, session, "ROLLED_BACK").status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("PENDING", "COMPLETED", True),
        ("DOWNLOADING", "DOWNLOADING", True),
        ("DOWNLOADED", "DOWNLOADING", False),
        ("FAILED", "DOWNLOADING", True),
        ("FAILED", "DOWNLOADED", False),
        ("FAILED", "COMPLETED", False),
        ("COMPLETED", "COMPLETED", True),
        ("ROLLED_BACK", "DOWNLOADING", True),  # a new attempt
        ("ROLLED_BACK", "INSTALLING", False),  # a late report of the rolled-back one
        ("DOWNLOADING", "ROLLED_BACK", False),
    ],
)
def test_transition_rules(current, new, allowed):
    assert transition_allowed(current, new) is allowed


def test_unknown_and_foreign_sessions(setup):
    client, _, session = setup
    response = _report(client, str(uuid.uuid4()), "DOWNLOADING")
    assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_SESSION"
    # A device of the same product, another tenant: the session is not its own.
    stranger = DeviceFactory(license__policy__product=Device.objects.get().product)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {stranger.token}")
    response = _report(client, session, "DOWNLOADING")
    assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_SESSION"
    assert not UpdateSession.objects.exists()


def test_a_session_for_a_release_the_device_may_not_have_is_unknown(
    setup, django_capture_on_commit_callbacks
):
    from licensing.tests.factories import TenantFactory
    from releases.services.sessions import session_id

    client, device, _ = setup
    with django_capture_on_commit_callbacks(execute=True):  # in the catalogue, as in life
        foreign = published_release(product=device.product, version="7.0.0", tenant=TenantFactory())
    forged = session_id(device.pk, foreign.pk)  # well-formed, but never offered to it
    for auth in (device.token, device.license.key):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth}")
        response = _report(client, forged, "COMPLETED")
        assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_SESSION"
    assert Device.objects.get(pk=device.pk).app_version == "1.0.0"


def test_license_key_alone_is_enough_the_session_names_the_device(setup):
    """The CRM client reports with its license key and no hardwareId."""
    client, device, session = setup
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    assert _report(client, session, "DOWNLOADING", downloadPercent=10).status_code == 200
    assert _report(client, session, "COMPLETED").status_code == 200
    assert Device.objects.get(pk=device.pk).app_version == "1.1.0"


@pytest.mark.parametrize(
    "body",
    [
        {"sessionId": "not-a-uuid", "status": "DOWNLOADING"},
        {"status": "DOWNLOADING"},
        {"sessionId": str(uuid.uuid4()), "status": "EXPLODED"},
        {"sessionId": str(uuid.uuid4()), "status": "DOWNLOADING", "downloadPercent": 150},
    ],
)
def test_bad_status_input(setup, body):
    client, _, _ = setup
    response = client.post(STATUS, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


def test_refusals_are_translated(setup):
    client, _, session = setup
    _report(client, session, "COMPLETED")
    response = client.post(
        STATUS,
        {"sessionId": session, "status": "DOWNLOADING"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.json()["message"] == "Impossible de passer de COMPLETED à DOWNLOADING."


def test_a_release_offered_on_a_requested_channel_opens_its_session(
    setup, django_capture_on_commit_callbacks
):
    client, device, _ = setup
    with django_capture_on_commit_callbacks(execute=True):
        published_release(product=device.product, version="1.5.0", channel="beta")
    offer = client.get("/api/v1/updates/check", {"version": "1.0.0", "channel": "beta"}).json()
    assert offer["version"] == "1.5.0"
    assert _report(client, offer["sessionId"], "DOWNLOADING").status_code == 200


def test_late_and_repeated_reports_are_acknowledged_without_change(setup):
    """The CRM client posts progress without awaiting it: reports arrive out of order."""
    client, _, session = setup
    _report(client, session, "DOWNLOADING", downloadPercent=50)
    late = _report(client, session, "DOWNLOADING", downloadPercent=30)
    assert late.status_code == 200
    assert late.json()["stale"] is True and late.json()["percent"] == 50
    _report(client, session, "INSTALLING")
    for status, extra in (("DOWNLOADING", {"downloadPercent": 90}), ("DOWNLOADED", {})):
        response = _report(client, session, status, **extra)
        assert response.status_code == 200, response.json()
        assert response.json()["stale"] is True
        assert response.json()["currentStatus"] == "INSTALLING"
    assert UpdateSession.objects.get().status == "INSTALLING"
    done = _report(client, session, "COMPLETED")
    assert done.json()["stale"] is False and done.json()["status"] == "COMPLETED"
    assert _report(client, session, "COMPLETED").status_code == 200  # a repeat
    conflict = _report(client, session, "DOWNLOADING", downloadPercent=10)
    assert conflict.status_code == 409 and conflict.json()["code"] == "INVALID_TRANSITION"
    assert Event.objects.filter(type="update.installing").count() == 1


def test_a_new_attempt_after_a_rollback(setup):
    """Rolled back (or failed), the device may try the same release again: the check offers
    it with the same session id, and the session reopens as the next attempt."""
    client, device, session = setup
    _report(client, session, "COMPLETED", fromVersion="1.0.0")
    _report(client, session, "ROLLED_BACK")
    offer = client.get("/api/v1/updates/check", {"version": "1.0.0"}).json()
    assert offer["updateAvailable"] is True and offer["sessionId"] == session
    late = _report(client, session, "INSTALLING")
    assert late.json()["stale"] is True and late.json()["currentStatus"] == "ROLLED_BACK"
    again = _report(client, session, "DOWNLOADING", downloadPercent=0)
    assert again.status_code == 200
    assert again.json()["attempt"] == 2 and again.json()["status"] == "DOWNLOADING"
    assert _report(client, session, "COMPLETED").status_code == 200
    row = UpdateSession.objects.get()
    assert row.attempt == 2 and row.status == "COMPLETED"
    assert Device.objects.get(pk=device.pk).app_version == "1.1.0"
