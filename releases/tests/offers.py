"""A release uploaded by a CI and offered to a device, over HTTP: the end-to-end tests'
common start (config.asgi under uvicorn, or the production stack behind nginx)."""

import hashlib

import requests

from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, UserFactory


def offered(url, content, hardware_id="asgi-hw"):
    """A CI uploads `content` (multipart) and publishes it; a device is offered it:
    (the offer, the device's headers)."""
    ci = requests.Session()
    ci.headers["Authorization"] = (
        f"Bearer {api_token_create(user=UserFactory(is_superuser=True)).token}"
    )
    license = LicenseFactory()
    release = ci.post(
        f"{url}/api/v1/manage/releases/", json={"product": license.product.pk, "version": "2.0.0"}
    )
    assert release.status_code == 201, release.text
    uploaded = ci.post(
        f"{url}/api/v1/manage/artifacts/",
        data={"release": release.json()["id"], "platform": "any", "size": str(len(content))},
        files={"file": ("setup.exe", content)},
        timeout=120,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert ci.post(f"{url}/api/v1/manage/releases/{release.json()['id']}/publish/").ok

    node = {"Authorization": f"Bearer {license.key}"}
    hardware = {
        "hardwareId": hardware_id,
        "machineName": "PC",
        "osVersion": "10",
        "appVersion": "1.0.0",
    }
    registered = requests.post(
        f"{url}/api/v1/updates/register-device", json=hardware, headers=node, timeout=30
    )
    assert registered.status_code == 201, registered.text
    offer = requests.get(
        f"{url}/api/v1/updates/check",
        params={"hardwareId": hardware_id, "version": "1.0.0"},
        headers=node,
        timeout=30,
    ).json()
    assert offer["updateAvailable"], offer
    return offer, node
