from django.core.files.base import ContentFile

from commands.models import DeviceCommand, MediaVideo, SiteVideo
from commands.services import command_create, media_video_create


def _command_of(tenant):
    from devices.tests.factories import DeviceFactory
    from licensing.tests.factories import LicenseFactory

    device = DeviceFactory(license=LicenseFactory(tenant=tenant))
    return command_create(device=device, type="reboot")


def video_of(tenant, content: bytes = b"\x00\x00\x00\x18ftypmp42 video", **fields):
    fields = {"title": "Entrainement passes", "category": "Technique"} | fields
    return media_video_create(tenant=tenant, file=ContentFile(content, name="passes.mp4"), **fields)


def _site_video_of(tenant):
    from devices.tests.factories import DeviceFactory
    from licensing.tests.factories import LicenseFactory

    device = DeviceFactory(license=LicenseFactory(tenant=tenant))
    return SiteVideo.objects.create(
        tenant=tenant, device=device, filename="a.mp4", category="Technique"
    )


TENANT_FACTORIES = {
    DeviceCommand: _command_of,
    MediaVideo: video_of,
    SiteVideo: _site_video_of,
}
