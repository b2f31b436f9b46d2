import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.models import Artifact, Release

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def _inline(prefix="artifacts", **row):
    return {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        **{f"{prefix}-0-{k}": v for k, v in row.items()},
    }


def test_create_a_release_with_its_artifact_from_the_release_page(admin_client):
    product = ProductFactory()
    content = b"MZ installer" * 500
    response = admin_client.post(
        "/admin/releases/release/add/",
        {
            "product": product.pk,
            "version": "2.1",
            "channel": "stable",
            "notes": "Nouvelles fonctionnalités",
            **_inline(platform="windows-x86_64", file=SimpleUploadedFile("setup.exe", content)),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    release = Release.objects.get(product=product)
    assert release.version == "2.1.0"
    artifact = release.artifacts.get()
    assert artifact.sha256 == hashlib.sha256(content).hexdigest() and artifact.size == len(content)

    response = admin_client.post(
        "/admin/releases/release/",
        {"action": "publish", "_selected_action": [release.pk]},
        follow=True,
    )
    assert "1 release(s) published." in response.content.decode()
    release.refresh_from_db()
    assert release.status == "published"
    admin_client.post(
        "/admin/releases/release/", {"action": "yank", "_selected_action": [release.pk]}
    )
    release.refresh_from_db()
    assert release.status == "yanked"


def test_publishing_an_empty_release_says_why(admin_client):
    release = Release.objects.create(product=ProductFactory(), version="1.0.0")
    response = admin_client.post(
        "/admin/releases/release/",
        {"action": "publish", "_selected_action": [release.pk]},
        follow=True,
    )
    assert "needs at least one artifact" in response.content.decode()
    assert "0 release(s) published." in response.content.decode()
    assert Release.objects.get(pk=release.pk).status == "draft"
    assert not Artifact.objects.exists()


def test_device_actions_and_filters(admin_client):
    device = DeviceFactory(channel="beta")
    response = admin_client.get(
        "/admin/devices/device/", {"channel__exact": "beta", "q": device.hardware_id}
    )
    assert [d.pk for d in response.context["cl"].result_list] == [device.pk]
    response = admin_client.post(
        "/admin/devices/device/",
        {"action": "rotate_token", "_selected_action": [device.pk]},
        follow=True,
    )
    assert "dvt_" in response.content.decode()
    admin_client.post(
        "/admin/devices/device/", {"action": "deactivate", "_selected_action": [device.pk]}
    )
    assert Device.objects.get(pk=device.pk).status == "deactivated"


def test_update_sessions_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/releases/updatesession/").status_code == 200
    assert admin_client.get("/admin/releases/updatesession/add/").status_code == 403
