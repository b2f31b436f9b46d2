"""The updaters' own formats, from an offer (releases.services.check.Offer)."""

import base64

import yaml

from releases.catalogue import CatalogueArtifact


def rfc3339(moment) -> str:
    """`2026-01-02T03:04:05.000Z`, as electron-builder writes `releaseDate`."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sha512_base64(artifact: CatalogueArtifact) -> str:
    """electron-builder's `sha512`: the digest in base64, not hex."""
    return base64.b64encode(bytes.fromhex(artifact.sha512)).decode()


def electron_yaml(offer, url: str, staging_percent: int | None) -> str:
    """electron-builder's `latest*.yml` for the generic provider. `staging_percent`: the
    rollout's percent for an anonymous feed (electron-updater then stages on its side)."""
    release, artifact = offer.release, offer.artifact
    sha512 = sha512_base64(artifact)
    info = {
        "version": release.version,
        "files": [{"url": url, "sha512": sha512, "size": artifact.size}],
        "path": url,
        "sha512": sha512,
        "releaseDate": rfc3339(release.published_at),
    }
    if release.notes:
        info["releaseNotes"] = release.notes
    if staging_percent is not None:
        info["stagingPercentage"] = staging_percent
    return yaml.safe_dump(info, sort_keys=False, allow_unicode=True)


def electron_up_to_date(version: str) -> str:
    """electron-updater's "no update" for a caller that named its version: that version,
    which the updater does not install again (nothing newer is offered to it now)."""
    return yaml.safe_dump({"version": version, "files": []}, sort_keys=False)


def tauri_body(offer, url: str) -> dict:
    """Tauri's dynamic update answer; `signature` is the artifact's vendor signature (the
    content of the `.sig` file `tauri build` writes, uploaded with the artifact)."""
    return {
        "version": offer.release.version,
        "notes": offer.release.notes,
        "pub_date": offer.release.published_at.isoformat().replace("+00:00", "Z"),
        "url": url,
        "signature": offer.artifact.vendor_signature,
    }
