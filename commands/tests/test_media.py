"""Media for NEOPRO sites over HTTP: a video uploaded in the admin (size and sha256 the
server's), deployed from the library with a short-lived URL and its checksum, and each
site's inventory kept from the agent's results; nothing of it crosses tenants."""

import hashlib
import urllib.request

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from commands.models import DeviceCommand, MediaVideo, SiteVideo
from commands.tests.factories import video_of
from devices.tests.sites import neopro_fleet, registered_site

pytestmark = pytest.mark.django_db
M = "/api/v1/manage/"
POLL = "/api/v1/devices/commands"
CONTENT = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


def _agent(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _media_staff(fleet):
    fleet.staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="commands",
            codename__in=["add_mediavideo", "view_mediavideo", "change_mediavideo"]
            + ["delete_mediavideo", "view_sitevideo"],
        )
    )
    client = APIClient()
    client.force_login(fleet.staff)
    return client


def test_admin_upload_computes_size_and_hash(local_storage):
    fleet = neopro_fleet()
    client = _media_staff(fleet)
    body = {
        "title": "Entrainement passes",
        "category": "Technique",
        "subcategory": "Passes",
        "duration": "154",
        "file": SimpleUploadedFile("passes.mp4", CONTENT, content_type="video/mp4"),
    }
    response = client.post(reverse("admin:commands_mediavideo_add"), body)
    assert response.status_code == 302, response.context["adminform"].form.errors
    video = MediaVideo.objects.get()
    assert video.tenant_id == fleet.tenant.pk and video.created_by == fleet.staff
    assert video.size == len(CONTENT) and video.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert video.filename == "passes.mp4"
    assert (local_storage / video.file.name).read_bytes() == CONTENT
    listed = client.get(f"{M}media-videos/").json()["results"]
    assert [row["sha256"] for row in listed] == [video.sha256]


def test_deploy_from_the_library_then_inventory(local_storage, settings):
    settings.RELAIS_PUBLIC_URL = "https://relais.example"
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    staff = _media_staff(fleet)
    video = video_of(fleet.tenant, CONTENT, subcategory="Passes", duration=154)
    body = {"device": str(site.pk), "type": "deploy_video", "video": str(video.pk)}
    created = staff.post(f"{M}device-commands/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["video"] == str(video.pk)

    [message] = _agent(key).get(POLL).json()["commands"]
    data = message["data"]
    assert message["type"] == "deploy_video"
    assert data == {
        "videoUrl": data["videoUrl"],
        "filename": "passes.mp4",
        "originalName": "Entrainement passes",
        "category": "Technique",
        "subcategory": "Passes",
        "videoId": str(video.pk),
        "duration": 154.0,
        "checksum": video.sha256,
        "size": len(CONTENT),
    }
    prefix = "https://relais.example/api/v1/devices/media/"
    assert data["videoUrl"].startswith(prefix)
    # The link is the credential: the agent downloads it as it is, no header.
    download = APIClient().get(data["videoUrl"].removeprefix("https://relais.example"))
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == data["checksum"]

    answer = {"status": "success", "result": {"path": "/home/neopro/videos/Technique/Passes"}}
    done = _agent(key).post(f"{POLL}/{message['id']}/result", answer, format="json")
    assert done.status_code == 200
    inventory = staff.get(f"{M}site-videos/", {"device": str(site.pk)}).json()["results"]
    assert [(r["filename"], r["category"], r["subcategory"], r["video"]) for r in inventory] == [
        ("passes.mp4", "Technique", "Passes", str(video.pk))
    ]
    assert inventory[0]["sha256"] == video.sha256 and inventory[0]["size"] == len(CONTENT)

    # Deployed again: still one row. Deleted by the agent: gone.
    again = staff.post(f"{M}device-commands/", body, format="json").json()
    _agent(key).get(POLL)
    _agent(key).post(f"{POLL}/{again['id']}/result", {"status": "success"}, format="json")
    assert SiteVideo.objects.filter(device=site).count() == 1
    delete = {
        "device": str(site.pk),
        "type": "delete_video",
        "data": {"filename": "passes.mp4", "category": "Technique", "subcategory": "Passes"},
    }
    queued = staff.post(f"{M}device-commands/", delete, format="json").json()
    _agent(key).get(POLL)
    _agent(key).post(f"{POLL}/{queued['id']}/result", {"status": "success"}, format="json")
    assert staff.get(f"{M}site-videos/").json()["results"] == []


def test_a_failed_deploy_changes_no_inventory(local_storage):
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    staff = _media_staff(fleet)
    video = video_of(fleet.tenant, CONTENT)
    body = {"device": str(site.pk), "type": "deploy_video", "video": str(video.pk)}
    command = staff.post(f"{M}device-commands/", body, format="json").json()
    _agent(key).get(POLL)
    answer = {"status": "error", "result": {"error": "Fichier trop volumineux"}}
    _agent(key).post(f"{POLL}/{command['id']}/result", answer, format="json")
    assert not SiteVideo.objects.exists()


def test_s3_deploy_carries_a_presigned_url(s3_storage):
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    staff = _media_staff(fleet)
    video = video_of(fleet.tenant, CONTENT)
    body = {"device": str(site.pk), "type": "deploy_video", "video": str(video.pk)}
    assert staff.post(f"{M}device-commands/", body, format="json").status_code == 201
    [message] = _agent(key).get(POLL).json()["commands"]
    url = message["data"]["videoUrl"]
    assert url.startswith(s3_storage[0]) and "X-Amz-Expires=" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - moto_server
        assert hashlib.sha256(response.read()).hexdigest() == message["data"]["checksum"]


def test_bad_links_and_bad_requests(local_storage, settings):
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    staff = _media_staff(fleet)
    video = video_of(fleet.tenant, CONTENT)
    for token in ("nothing", "x" * 300):
        response = APIClient().get(f"/api/v1/devices/media/{token}")
        assert response.status_code == 404 and response.json()["code"] == "VIDEO_NOT_FOUND"
    from commands.services import video_link_token

    token = video_link_token(video)
    settings.RELAIS_DOWNLOAD_URL_TTL = -1  # the link has outlived its lifetime
    assert APIClient().get(f"/api/v1/devices/media/{token}").status_code == 404
    # A video makes a deploy_video only.
    body = {"device": str(site.pk), "type": "reboot", "video": str(video.pk)}
    response = staff.post(f"{M}device-commands/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
    assert not DeviceCommand.objects.exists()


def test_cross_tenant(local_storage):
    mine, theirs = neopro_fleet(), neopro_fleet()
    my_site, my_key = registered_site(mine)
    their_site, their_key = registered_site(theirs)
    staff = _media_staff(mine)
    their_video = video_of(theirs.tenant, CONTENT)
    SiteVideo.objects.create(
        tenant=theirs.tenant, device=their_site, filename="x.mp4", category="Technique"
    )
    # Their library and their sites' inventories are not listed, not found.
    assert staff.get(f"{M}media-videos/").json()["results"] == []
    assert staff.get(f"{M}media-videos/{their_video.pk}/").status_code == 404
    assert staff.get(f"{M}site-videos/").json()["results"] == []
    # Their video cannot be deployed to my site: it "does not exist".
    body = {"device": str(my_site.pk), "type": "deploy_video", "video": str(their_video.pk)}
    response = staff.post(f"{M}device-commands/", body, format="json")
    assert response.status_code == 400 and "video" in response.json()["errors"]
    assert not DeviceCommand.objects.exists()
    # Nor chosen in the admin's "Send command: deploy_video" form.
    admin_body = {
        "action": "send_deploy_video",
        "_selected_action": [str(my_site.pk)],
        "apply": "1",
        "video": str(their_video.pk),
    }
    page = staff.post(reverse("admin:devices_device_changelist"), admin_body)
    assert page.status_code == 200 and "video" in page.context["form"].errors
    assert not DeviceCommand.objects.exists()
    # The service refuses it too, whoever calls it.
    from commands.services import command_create
    from core.exceptions import ApiError

    with pytest.raises(ApiError) as refused:
        command_create(device=my_site, type="deploy_video", video=their_video)
    assert refused.value.code == "VIDEO_NOT_FOUND"
    # The admin lists none of theirs.
    page = staff.get(reverse("admin:commands_mediavideo_changelist"))
    assert str(their_video.pk) not in page.content.decode()


def _send_config(client, site, configuration, **extra):
    import json

    body = {
        "action": "send_update_config",
        "_selected_action": [str(site.pk)],
        "apply": "1",
        "configuration": json.dumps(configuration),
        **extra,
    }
    return client.post(reverse("admin:devices_device_changelist"), body)


def test_update_config_is_checked_then_shown_as_a_diff_then_queued():
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    client = _media_staff(fleet)
    first = {"version": "1.0", "categories": [{"name": "Technique"}]}
    # Never configured here: the whole configuration is new, nothing queued yet.
    page = _send_config(client, site, first)
    assert page.status_code == 200 and not DeviceCommand.objects.exists()
    [(device, diff)] = page.context["diffs"]
    assert device == site and '+  "version": "1.0"' in diff
    queued = _send_config(client, site, first, confirm="1")
    assert queued.status_code == 302
    command = DeviceCommand.objects.get()
    assert command.data == {"configuration": first}
    [message] = _agent(key).get(POLL).json()["commands"]
    _agent(key).post(f"{POLL}/{message['id']}/result", {"status": "success"}, format="json")

    # The next change is shown against what the site applied.
    second = {"version": "1.1", "categories": [{"name": "Technique"}, {"name": "Matchs"}]}
    diff = _send_config(client, site, second).context["diffs"][0][1]
    assert '-  "version": "1.0"' in diff and '+  "version": "1.1"' in diff
    assert '+      "name": "Matchs"' in diff
    changed = [line for line in diff.splitlines() if line.startswith(("+ ", "- "))]
    assert not [line for line in changed if "Technique" in line]  # unchanged: context only
    assert DeviceCommand.objects.count() == 1

    # Checked: a category needs a plain name, version a string.
    bad = {"version": 2, "categories": [{"name": "../etc"}, {}]}
    page = _send_config(client, site, bad, confirm="1")
    errors = page.context["form"].errors["configuration"]
    assert len(errors) == 3 and DeviceCommand.objects.count() == 1


def test_update_config_checked_over_the_api_too():
    fleet = neopro_fleet()
    site, _key = registered_site(fleet)
    staff = _media_staff(fleet)
    fleet.staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_devicecommand", "view_devicecommand"])
    )
    body = {
        "device": str(site.pk),
        "type": "update_config",
        "data": {"configuration": {"categories": "Technique"}},
    }
    response = staff.post(f"{M}device-commands/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
    assert not DeviceCommand.objects.exists()
    body["data"] = {"configuration": {"version": "1.0", "categories": [{"name": "Matchs"}]}}
    assert staff.post(f"{M}device-commands/", body, format="json").status_code == 201


def test_update_config_diff_shows_only_the_staffs_sites():
    mine, theirs = neopro_fleet(), neopro_fleet()
    their_site, _ = registered_site(theirs)
    client = _media_staff(mine)
    for extra in ({}, {"confirm": "1"}):  # neither diffed nor queued
        page = _send_config(client, their_site, {"version": "1.0"}, **extra)
        assert not (page.context or {}).get("diffs")  # their site is not in my list
        assert their_site.hardware_id not in page.content.decode()
    assert not DeviceCommand.objects.exists()


def test_lists_do_not_grow_queries_with_rows(local_storage):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fleet = neopro_fleet()
    site, _key = registered_site(fleet)
    staff = _media_staff(fleet)

    def counts():
        found = []
        for url in (f"{M}media-videos/", f"{M}site-videos/"):
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(url).status_code == 200
            found.append(len(queries))
        return found

    def add(n):
        for i in range(n):
            video = video_of(fleet.tenant, CONTENT, title=f"Video {i}")
            SiteVideo.objects.create(
                tenant=fleet.tenant,
                device=site,
                video=video,
                filename=f"{video.pk}.mp4",
                category="Technique",
            )

    add(1)
    few = counts()
    add(5)
    assert counts() == few
