"""The releases' sections of the device page (registered in ReleasesConfig.ready): its
license and seat, and its updates as a timeline (newest first)."""

from django.template.loader import render_to_string

from devices.models import Device

from .models import UpdateSession


def device_updates_html(request, device) -> str:
    license = device.license
    context = {
        "device": device,
        "license": license,
        "seats_used": Device.objects.filter(
            license_id=device.license_id, status=Device.Status.ACTIVE
        ).count(),
        "sessions": list(
            UpdateSession.objects.filter(device=device)
            .select_related("release")
            .order_by("-updated_at")[:20]
        ),
    }
    return render_to_string("releases/device_section.html", context, request=request)
