"""Binary deltas: made from the last published versions, stored with their hashes, offered
by the canonical check (still within its query budget), downloadable on the artifact's
terms, absent from the dialects."""

import hashlib
import os

import pytest
from django.core.files.storage import default_storage

from core.models import Event
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory, TenantFactory
from releases.deltas import delta_apply
from releases.services.deltas import release_deltas_make
from releases.tests.factories import forget_caches, published_release

pytestmark = pytest.mark.django_db

BASE = os.urandom(64 * 1024)


def version_bytes(n: int) -> bytes:
    return BASE[: 1000 * n] + f"build {n}".encode() * 30 + BASE[1000 * n :]


@pytest.fixture
def product(local_storage):
    return ProductFactory()


@pytest.fixture
def releases(product):
    return [
        published_release(product=product, version=f"1.{n}.0", content=version_bytes(n))
        for n in range(4)
    ]


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def test_deltas_from_the_last_versions_rebuild_the_new_file(releases, settings):
    settings.RELAIS_DELTA_SOURCES = 2
    newest = releases[-1]
    assert release_deltas_make(release_id=newest.pk) == 2
    artifact = newest.artifacts.get()
    assert [d["fromVersion"] for d in artifact.deltas] == ["1.2.0", "1.1.0"]
    for entry in artifact.deltas:
        delta = _read(entry["file"])
        assert len(delta) == entry["size"] < artifact.size // 10
        assert hashlib.sha256(delta).hexdigest() == entry["sha256"]
        n = int(entry["fromVersion"].split(".")[1])
        assert delta_apply(version_bytes(n), delta) == version_bytes(3)
    event = Event.objects.get(type="artifact.deltas_made")
    assert event.payload["fromVersions"] == ["1.2.0", "1.1.0"]
    # Twice is once: nothing new, nothing recorded.
    assert release_deltas_make(release_id=newest.pk) == 0
    assert Event.objects.filter(type="artifact.deltas_made").count() == 1


def test_no_delta_past_the_size_limit_nor_when_it_would_not_be_smaller(product, settings):
    published_release(product=product, version="1.0.0", content=os.urandom(20_000))
    unrelated = published_release(product=product, version="1.1.0", content=os.urandom(20_000))
    assert release_deltas_make(release_id=unrelated.pk) == 0  # random bytes: no gain
    related = published_release(product=product, version="1.2.0", content=BASE)
    settings.RELAIS_DELTA_MAX_BYTES = len(BASE) - 1
    assert release_deltas_make(release_id=related.pk) == 0
    settings.RELAIS_DELTA_SOURCES = 0
    settings.RELAIS_DELTA_MAX_BYTES = 10**9
    assert release_deltas_make(release_id=related.pk) == 0
    assert related.artifacts.get().deltas == []


def _check(client, device, version):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client.get("/api/v1/updates/check", {"version": version}).json()


def test_the_check_offers_the_delta_from_the_device_version(
    api_client, releases, django_assert_max_num_queries
):
    newest = releases[-1]
    release_deltas_make(release_id=newest.pk)
    artifact = newest.artifacts.get()
    device = DeviceFactory(license__policy__product=newest.product)
    forget_caches()
    with django_assert_max_num_queries(2):
        body = _check(api_client, device, "1.2.0")
    delta = body["delta"]
    entry = artifact.deltas[0]
    assert delta == {
        "fromVersion": "1.2.0",
        "url": f"http://testserver/api/v1/updates/delta/{artifact.pk}/{entry['fromArtifact']}",
        "size": entry["size"],
        "sha256": entry["sha256"],
        "fullSha256": artifact.sha256,
        "format": "zstd-patch-from/v1",
    }
    assert body["checksum"] == artifact.sha256  # the full file is still offered
    assert "delta" not in _check(api_client, device, "0.9.0")  # no delta from there
    download = api_client.get(delta["url"])
    assert download.status_code == 200
    patch = b"".join(download.streaming_content)
    assert hashlib.sha256(patch).hexdigest() == delta["sha256"]
    assert delta_apply(version_bytes(2), patch) == version_bytes(3)


def test_a_delta_is_downloaded_on_the_artifact_terms(api_client, releases):
    newest = releases[-1]
    release_deltas_make(release_id=newest.pk)
    artifact = newest.artifacts.get()
    source = artifact.deltas[0]["fromArtifact"]
    url = f"/api/v1/updates/delta/{artifact.pk}/{source}"
    # Another product's license (another tenant's): the artifact does not exist for it.
    stranger = LicenseFactory(tenant=TenantFactory())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {stranger.key}")
    refused = api_client.get(url)
    assert refused.status_code == 404 and refused.json()["code"] == "ARTIFACT_NOT_FOUND"
    api_client.credentials()
    assert api_client.get(url).status_code in (401, 404)
    device = DeviceFactory(license__policy__product=newest.product)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    unknown = api_client.get(f"/api/v1/updates/delta/{artifact.pk}/{artifact.pk}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "DELTA_NOT_FOUND"


def test_dialects_are_unchanged(api_client, releases):
    newest = releases[-1]
    release_deltas_make(release_id=newest.pk)
    license = LicenseFactory(policy__product=newest.product)
    forget_caches()
    body = api_client.get(
        "/update/check", {"tenantId": str(license.tenant_id), "version": "1.2.0"}
    ).json()
    assert body["updateAvailable"] and "delta" not in body


def test_the_sweep_makes_the_deltas_a_lost_task_did_not_and_only_once(releases, settings):
    """The task queued on publish never ran (a broker down then): the beat's sweep makes
    the deltas; a second sweep tries nothing (nor does one over an artifact whose deltas
    were not worth making)."""
    from releases.models import Artifact
    from releases.services.deltas import deltas_sweep

    settings.RELAIS_DELTA_SOURCES = 2
    Artifact.objects.update(deltas=[], deltas_made_at=None)  # no task ran
    newest = releases[-1].artifacts.get()
    assert deltas_sweep() == len(releases)  # each published artifact tried once
    newest.refresh_from_db()
    assert [d["fromVersion"] for d in newest.deltas] == ["1.2.0", "1.1.0"]
    assert not Artifact.objects.filter(deltas_made_at__isnull=True).exists()
    assert deltas_sweep() == 0
    # Long published: left alone (the sweep looks back RELAIS_DELTA_SWEEP_DAYS).
    Artifact.objects.update(deltas_made_at=None)
    settings.RELAIS_DELTA_SWEEP_DAYS = 0
    assert deltas_sweep() == 0


def test_a_delta_storage_lost_is_a_json_404_not_a_500(api_client, releases, settings):
    settings.RELAIS_DELTA_SOURCES = 1
    newest = releases[-1]
    release_deltas_make(release_id=newest.pk)
    artifact = newest.artifacts.get()
    (entry,) = artifact.deltas
    default_storage.delete(entry["file"])
    device = DeviceFactory(license__policy__product=artifact.release.product)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    response = api_client.get(f"/api/v1/updates/delta/{artifact.pk}/{entry['fromArtifact']}")
    assert response.status_code == 404
    assert response.json()["code"] == "ARTIFACT_FILE_MISSING"
