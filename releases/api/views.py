"""Node API of releases: update check, status reports, downloads (canonical routes)."""

import functools
import uuid

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.views import NodeView
from releases.services.check import update_check
from releases.services.downloads import artifact_delta_for_download, artifact_for_download
from releases.services.sessions import session_id, session_report

from ..delta_offers import delta_offer_fields
from ..manifests import offer_signed_fields
from .downloads import artifact_response
from .serializers import CheckInput, CheckOutput, StatusInput, StatusOutput, check_params


@functools.lru_cache(maxsize=8)
def _download_path(script_prefix: str) -> str:
    return reverse("update-download", args=["-"])[:-1]


def offer_body(request, offer, device_id) -> dict:
    """The response, as a plain dict of JSON types (a hot path: no serializer pass). The
    signed manifest and the vendor's signature are extra fields: the CRM client ignores
    them, a client that verifies uses them."""
    release, artifact = offer.release, offer.artifact
    url = _download_path(get_script_prefix()) + artifact.id
    body = {
        "updateAvailable": True,
        "mandatory": offer.mandatory,
        "version": release.version,
        "downloadUrl": request.build_absolute_uri(url),
        "checksum": artifact.sha256,
        "sha512": artifact.sha512,
        "size": artifact.size,
        "releaseNotes": release.notes,
        "sessionId": str(session_id(device_id, release.id)),
        "releaseId": release.id,
        "artifactId": artifact.id,
        "channel": release.channel,
        "publishedAt": release.published_at.isoformat().replace("+00:00", "Z"),
        "vendorSignature": artifact.vendor_signature or None,
    }
    body.update(offer_signed_fields(artifact, offer.mandatory))
    return body


def check_body(request, device) -> dict:
    """The check's answer for `device` (request: Django's or DRF's, both read the same)."""
    d = check_params(request.GET)
    offer = update_check(
        device=device,
        version=d.get("version"),
        platform=d.get("platform", ""),
        channel=d.get("channel", ""),
        os_version=d.get("osVersion", ""),
    )
    if offer is None:
        return {"updateAvailable": False}
    body = offer_body(request, offer, device.pk)
    body.update(delta_offer_fields(request, offer, d.get("version") or device.app_version))
    return body


class UpdateCheckView(NodeView):
    """`GET /api/v1/updates/check?hardwareId&version&osVersion[&platform&channel]`.

    Budget: no query when warm (credentials kept per process, the catalogue memoised); cold,
    the authentication query and the catalogue query. No write."""

    @extend_schema(parameters=[CheckInput], responses=CheckOutput)
    def get(self, request):
        return Response(check_body(request, request.user.device))


class UpdateStatusView(NodeView):
    """`POST /api/v1/updates/status {sessionId, status, downloadPercent?, errorMessage?,
    fromVersion?, duration?}`. A license key alone is enough: the session names the device."""

    license_only_ok = True

    def throttle_ident(self, request) -> str | None:
        """Sent with a license key alone, a report is counted per session (per device and
        release), not per license: a fleet updating at once shares no bucket."""
        session = request.data.get("sessionId") if hasattr(request.data, "get") else None
        try:
            return f"session:{uuid.UUID(str(session))}" if session else None
        except ValueError:
            return None

    @extend_schema(request=StatusInput, responses=StatusOutput)
    def post(self, request):
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        row = session_report(
            license=request.user.license,
            device=request.user.device,
            session=d["sessionId"],
            status=d["status"],
            percent=d.get("downloadPercent"),
            error=d.get("errorMessage", ""),
            from_version=d.get("fromVersion", ""),
            duration=d.get("duration"),
        )
        return Response(StatusOutput(row).data)


class UpdateDownloadView(NodeView):
    """`GET /api/v1/updates/download/<id>`: 302 to a presigned URL (S3), or the file with
    Range support. Anonymous for `open` products."""

    license_only_ok = True
    permission_classes = []

    @extend_schema(responses={(200, "application/octet-stream"): bytes, 302: None})
    def get(self, request, artifact_id):
        principal = request.user
        license = getattr(principal, "license", None)
        artifact = artifact_for_download(artifact_id=artifact_id, license=license)
        return artifact_response(request, artifact)


class UpdateDeltaView(UpdateDownloadView):
    """`GET /api/v1/updates/delta/<artifactId>/<fromArtifactId>`: the binary delta to an
    artifact from an earlier one, on the artifact's own terms (who may download it)."""

    @extend_schema(
        operation_id="api_v1_updates_delta_retrieve",
        responses={(200, "application/octet-stream"): bytes, 302: None},
    )
    def get(self, request, artifact_id, from_artifact_id):
        license = getattr(request.user, "license", None)
        delta = artifact_delta_for_download(
            artifact_id=artifact_id, from_artifact_id=from_artifact_id, license=license
        )
        return artifact_response(request, delta)


class UpdateDownloadNamedView(UpdateDownloadView):
    """`GET /api/v1/updates/download/<id>/<filename>`: the same download, its URL ending in
    the file's name (the feeds link it so: updaters choose a file by its extension)."""

    @extend_schema(
        operation_id="api_v1_updates_download_named_retrieve",
        responses={(200, "application/octet-stream"): bytes, 302: None},
    )
    def get(self, request, artifact_id, filename):
        return super().get(request, artifact_id)
