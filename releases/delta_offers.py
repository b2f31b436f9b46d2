"""The `delta` an update offer carries when the device's version has one (canonical check
only: the seeds' dialects and the updaters' feeds cannot use it and are unchanged)."""

import functools

from django.urls import get_script_prefix, reverse


@functools.lru_cache(maxsize=8)
def _delta_path(script_prefix: str) -> str:
    return reverse("update-delta", args=["-", "-"])[: -len("-/-")]


def delta_offer_fields(request, offer, current_version: str | None) -> dict:
    """`{"delta": {fromVersion, url, size, sha256, fullSha256, format}}`, or {}. The delta's
    own hash guards its download; the result is trusted only if its sha256 is
    `fullSha256`, the signed manifest's."""
    artifact = offer.artifact
    entry = artifact.deltas.get(current_version or "") if artifact.deltas else None
    if entry is None:
        return {}
    path = f"{_delta_path(get_script_prefix())}{artifact.id}/{entry['fromArtifact']}"
    return {
        "delta": {
            "fromVersion": entry["fromVersion"],
            "url": request.build_absolute_uri(path),
            "size": entry["size"],
            "sha256": entry["sha256"],
            "fullSha256": artifact.sha256,
            "format": entry["format"],
        }
    }
