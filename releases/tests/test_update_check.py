from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory, TenantFactory
from releases.models import Release, UpdateSession
from releases.services.releases import release_yank
from releases.services.sessions import session_id
from releases.tests.factories import forget_caches, in_another_process, published_release

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/updates/check"
SEED_KEYS = {
    "updateAvailable",
    "mandatory",
    "version",
    "downloadUrl",
    "checksum",
    "size",
    "releaseNotes",
    "sessionId",
}


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def device(product):
    return DeviceFactory(license__policy__product=product, app_version="1.0.0")


def _check(client, device, **params):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client.get(CHECK, {"version": device.app_version, **params})


def test_offer_has_the_seed_body(api_client, product, device):
    release = published_release(product=product, version="1.1.0", content=b"x" * 1000)
    body = _check(api_client, device).json()
    assert set(body) >= SEED_KEYS
    artifact = release.artifacts.get()
    assert body["updateAvailable"] is True and body["version"] == "1.1.0"
    assert body["checksum"] == artifact.sha256 and body["size"] == 1000
    assert body["downloadUrl"].endswith(f"/api/v1/updates/download/{artifact.pk}")
    assert body["sessionId"] == str(session_id(device.pk, release.pk))
    assert body["releaseNotes"] == release.notes and body["mandatory"] is False


def test_no_update(api_client, product, device):
    published_release(product=product, version="1.0.0")
    assert _check(api_client, device).json() == {"updateAvailable": False}
    assert _check(api_client, device, version="9.0.0").json() == {"updateAvailable": False}


def test_highest_eligible_version_wins(api_client, product, device):
    for version in ["1.2.0", "1.10.0", "1.9.0"]:
        published_release(product=product, version=version)
    assert _check(api_client, device).json()["version"] == "1.10.0"


def test_draft_yanked_other_products_are_never_offered(api_client, product, device):
    published_release(product=ProductFactory(), version="5.0.0")
    yanked = published_release(product=product, version="3.0.0")
    release_yank(release=yanked)
    from releases.tests.factories import ReleaseFactory

    ReleaseFactory(product=product, version="4.0.0")  # a draft
    published_release(product=product, version="1.5.0")
    assert _check(api_client, device).json()["version"] == "1.5.0"


@pytest.mark.parametrize(
    ("device_channel", "expected"), [("stable", "1.1.0"), ("beta", "1.2.0"), ("alpha", "1.3.0")]
)
def test_channels_are_inclusive(api_client, product, device_channel, expected):
    device = DeviceFactory(license__policy__product=product, channel=device_channel)
    published_release(product=product, version="1.1.0", channel="stable")
    published_release(product=product, version="1.2.0", channel="beta")
    published_release(product=product, version="1.3.0", channel="alpha")
    assert _check(api_client, device).json()["version"] == expected


def test_channel_parameter_overrides_the_device(api_client, product, device):
    published_release(product=product, version="1.2.0", channel="beta")
    assert _check(api_client, device).json()["updateAvailable"] is False
    assert _check(api_client, device, channel="beta").json()["version"] == "1.2.0"


def test_tenant_restriction(api_client, product, device):
    published_release(product=product, version="2.0.0", tenant=TenantFactory())
    published_release(product=product, version="1.5.0", tenant=device.tenant)
    assert _check(api_client, device).json()["version"] == "1.5.0"


def test_updates_until_gates_releases_published_after_maintenance(api_client, product):
    cutoff = timezone.now()
    device = DeviceFactory(license=LicenseFactory(policy__product=product, updates_until=cutoff))
    old = published_release(product=product, version="1.1.0")
    Release.objects.filter(pk=old.pk).update(published_at=cutoff - timedelta(days=1))
    published_release(product=product, version="1.2.0")
    assert _check(api_client, device).json()["version"] == "1.1.0"
    # The license still validates: maintenance ends updates, not the license.
    assert api_client.get("/api/v1/ping").status_code == 200


def test_mandatory_when_a_skipped_release_is_mandatory(api_client, product, device):
    published_release(product=product, version="1.1.0", is_mandatory=True)
    published_release(product=product, version="1.2.0")
    body = _check(api_client, device).json()
    assert body["version"] == "1.2.0" and body["mandatory"] is True
    assert _check(api_client, device, version="1.1.0").json()["mandatory"] is False


def test_platform_selection(api_client, product, django_capture_on_commit_callbacks):
    device = DeviceFactory(license__policy__product=product, platform="linux-aarch64")
    published_release(product=product, version="1.1.0", platform="windows-x86_64")
    assert _check(api_client, device).json()["updateAvailable"] is False
    with django_capture_on_commit_callbacks(execute=True):  # the catalogue is invalidated
        release = published_release(
            product=product, version="1.2.0", platforms=["windows-x86_64", "linux-aarch64"]
        )
    arm = release.artifacts.get(platform="linux-aarch64")
    windows = release.artifacts.get(platform="windows-x86_64")
    assert _check(api_client, device).json()["checksum"] == arm.sha256
    assert (
        _check(api_client, device, platform="windows-x86_64").json()["checksum"] == windows.sha256
    )


def test_any_artifact_serves_every_platform(api_client, product, device):
    release = published_release(product=product, version="1.1.0", platform="any")
    assert _check(api_client, device).json()["checksum"] == release.artifacts.get().sha256


def test_a_device_without_platform_takes_a_single_artifact(api_client, product):
    device = DeviceFactory(license__policy__product=product, platform="")
    published_release(product=product, version="1.1.0", platform="windows-x86_64")
    assert _check(api_client, device).json()["version"] == "1.1.0"


def test_session_id_is_stable_and_the_check_writes_nothing(api_client, product, device):
    published_release(product=product, version="1.1.0")
    first = _check(api_client, device).json()["sessionId"]
    assert _check(api_client, device).json()["sessionId"] == first
    assert not UpdateSession.objects.exists()
    other = DeviceFactory(license=device.license)
    assert _check(api_client, other).json()["sessionId"] != first


def test_license_key_plus_hardware_id_works_like_the_crm_client(api_client, product, device):
    published_release(product=product, version="1.1.0")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    response = api_client.get(
        CHECK, {"hardwareId": device.hardware_id, "version": "1.0.0", "osVersion": "Windows 10"}
    )
    assert response.json()["version"] == "1.1.0"


# --- Bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"version": "not-a-version"}, "INVALID_VERSION"),
        ({"platform": "commodore-64"}, "UNKNOWN_PLATFORM"),
        ({"channel": "nightly"}, "UNKNOWN_CHANNEL"),
        ({"colour": "blue"}, "VALIDATION_ERROR"),
    ],
)
def test_bad_input(api_client, device, params, code):
    response = _check(api_client, device, **params)
    assert response.status_code == 400 and response.json()["code"] == code


# --- Budget (DESIGN.md §7) -------------------------------------------------------------


def _many(product, device, releases=30, devices=30):
    for i in range(releases):
        published_release(product=product, version=f"1.{i + 1}.0", channel="stable")
    for _ in range(devices):
        DeviceFactory(license=device.license)


@pytest.mark.parametrize("auth", ["token", "key"])
def test_budget_cold_cache_two_queries(
    api_client, product, device, django_assert_num_queries, auth
):
    _many(product, device)
    forget_caches()
    if auth == "token":
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
        params = {"version": "1.0.0"}
    else:
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
        params = {"version": "1.0.0", "hardwareId": device.hardware_id}
    with django_assert_num_queries(2):
        assert api_client.get(CHECK, params).json()["version"] == "1.30.0"


def test_budget_warm_no_query_whether_or_not_offered(
    api_client, product, device, django_assert_num_queries
):
    _many(product, device)
    _check(api_client, device)
    with django_assert_num_queries(0):
        assert _check(api_client, device).json()["updateAvailable"] is True
    with django_assert_num_queries(0):
        assert _check(api_client, device, version="9.0.0").json()["updateAvailable"] is False


def test_budget_does_not_grow_with_releases_or_devices(
    api_client, product, device, django_assert_num_queries
):
    _many(product, device, releases=5, devices=5)
    forget_caches()
    with django_assert_num_queries(2):
        _check(api_client, device)
    _many(product, device, releases=0, devices=50)
    for i in range(40):
        published_release(product=product, version=f"2.{i}.0")
    forget_caches()
    with django_assert_num_queries(2):
        assert _check(api_client, device).json()["version"] == "2.39.0"


def test_catalogue_is_invalidated_on_publish_and_yank(
    api_client, product, device, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = published_release(product=product, version="1.1.0")
    assert _check(api_client, device).json()["version"] == "1.1.0"
    with django_capture_on_commit_callbacks(execute=True):
        published_release(product=product, version="1.2.0")
    assert _check(api_client, device).json()["version"] == "1.2.0"
    with django_capture_on_commit_callbacks(execute=True):
        release_yank(release=Release.objects.get(version="1.2.0", product=product))
    assert _check(api_client, device).json()["version"] == first.version


def test_a_catalogue_built_before_a_change_is_never_served_after_it(product, device, settings):
    """The race: a reader builds from the old rows, another process yanks and commits (the
    generation moves), then the reader stores what it built: the next read does not serve it."""
    from releases import catalogue

    settings.RELAIS_CATALOGUE_POLL_SECONDS = 0
    release = published_release(product=product, version="1.1.0")
    forget_caches()
    build = catalogue.catalogue_build

    def build_then_yanked_elsewhere(product_id):
        stale = build(product_id)  # read before the yank…
        release_yank(release=release)  # …which another process commits…
        in_another_process(
            f"from releases.catalogue import catalogue_invalidate\n"
            f"catalogue_invalidate({product.pk!r})"
        )
        return stale  # …then the reader stores what it read

    with mock.patch.object(catalogue, "catalogue_build", build_then_yanked_elsewhere):
        assert [r.version for r in catalogue.catalogue_for_product(product.pk)] == ["1.1.0"]
    assert [r.version for r in catalogue.catalogue_for_product(product.pk)] == []


def test_each_worker_memo_follows_the_generation(
    product, device, settings, django_assert_num_queries
):
    """A warm worker reads only the generation number; a change anywhere moves it."""
    from releases import catalogue

    settings.RELAIS_CATALOGUE_POLL_SECONDS = 0
    published_release(product=product, version="1.1.0")
    assert [r.version for r in catalogue.catalogue_for_product(product.pk)] == ["1.1.0"]
    with django_assert_num_queries(0):
        catalogue.catalogue_for_product(product.pk)
    published_release(product=product, version="1.2.0")  # on_commit: not run in this test
    with django_assert_num_queries(0):  # unseen: the generation did not move
        assert len(catalogue.catalogue_for_product(product.pk)) == 1
    in_another_process(  # another process's commit moves it
        f"from releases.catalogue import catalogue_invalidate\ncatalogue_invalidate({product.pk!r})"
    )
    versions = [r.version for r in catalogue.catalogue_for_product(product.pk)]
    assert versions == ["1.2.0", "1.1.0"]


def test_checks_record_contact_off_the_request(
    api_client, product, device, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The check itself writes nothing and queues nothing; the beat flush records the
    contact in one UPDATE."""
    from datetime import timedelta

    from devices.models import Device
    from devices.services.devices import device_contacts_flush

    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - timedelta(days=3))
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(2),
    ):
        _check(api_client, device)
    assert callbacks == []  # no task, no broker
    assert Device.objects.get(pk=device.pk).last_seen_at < timezone.now() - timedelta(days=2)
    with django_assert_num_queries(1):
        assert device_contacts_flush() == 1
    seen = Device.objects.get(pk=device.pk).last_seen_at
    assert timezone.now() - seen < timedelta(minutes=1)
    with django_assert_num_queries(0):
        assert device_contacts_flush() == 0  # taken once


@pytest.mark.parametrize(
    ("os_version", "expected"),
    [
        ("Windows 10 22H2", "windows-x86_64"),
        ("Ubuntu 22.04", "linux-x86_64"),
        ("Ubuntu 22.04 aarch64", "linux-aarch64"),
        ("macOS 14", "macos-aarch64"),  # the only macOS artifact: the assumed arch gives way
    ],
)
def test_the_platform_comes_from_the_os_version(api_client, product, os_version, expected):
    """The CRM client registers without `platform` and sends `osVersion` on every check."""
    license = LicenseFactory(policy__product=product)
    platforms = ["windows-x86_64", "linux-x86_64", "linux-aarch64", "macos-aarch64"]
    release = published_release(product=product, version="1.1.0", platforms=platforms)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {license.key}")
    register = {"hardwareId": "hw-os", "machineName": "PC", "osVersion": "", "appVersion": "1.0"}
    assert api_client.post("/api/v1/updates/register-device", register).status_code == 201
    query = {"hardwareId": "hw-os", "version": "1.0.0", "osVersion": os_version}
    body = api_client.get(CHECK, query).json()
    assert body["updateAvailable"] is True, body
    assert body["artifactId"] == str(release.artifacts.get(platform=expected).pk)
    # Registered with it, the device needs not repeat it.
    register["osVersion"] = os_version
    api_client.post("/api/v1/updates/register-device", register)
    body = api_client.get(CHECK, {"hardwareId": "hw-os", "version": "1.0.0"}).json()
    assert body["artifactId"] == str(release.artifacts.get(platform=expected).pk)


def test_an_os_without_its_artifact_gets_nothing(api_client, product):
    device = DeviceFactory(license__policy__product=product, platform="")
    published_release(product=product, version="1.1.0", platform="linux-x86_64")
    body = _check(api_client, device, osVersion="Windows 11 23H2").json()
    assert body == {"updateAvailable": False}
