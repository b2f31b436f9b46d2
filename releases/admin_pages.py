"""The releases' sections of object pages (registered in ReleasesConfig.ready): on the
device page its license and seat and its updates as a timeline (newest first); on the
release page its rollouts, sessions by status, artifacts and signatures."""

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


def release_rollouts_html(request, release) -> str:
    """The release page's rollouts and its update sessions by status (one aggregate on the
    sessions' (release, status) index)."""
    from django.db.models import Count

    by_status = dict(
        UpdateSession.objects.filter(release=release)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    context = {
        "release": release,
        "rollouts": list(release.rollouts.order_by("-created_at")[:20]),
        "sessions": [(UpdateSession.Status(s).label, s, n) for s, n in sorted(by_status.items())],
        "artifacts": list(release.artifacts.all()),
    }
    return render_to_string("releases/release_section.html", context, request=request)
