"""The updaters' own formats, from an offer (releases.services.check.Offer)."""

import base64
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

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


def velopack_feed(offer, url: str | None, *, package_id: str) -> dict:
    """Velopack's `releases.{channel}.json`: the offer as its one `Full` asset (no offer: no
    asset, Velopack's "no update"). `FileName` is the download URL: Velopack downloads an
    absolute `FileName` as it is (a bare name, beside the feed) and keeps the package under
    its name made safe; `SHA256` in upper-case hex, as `vpk` writes it and as Velopack
    compares it."""
    if offer is None:
        return {"Assets": []}
    release, artifact = offer.release, offer.artifact
    return {
        "Assets": [
            {
                "PackageId": package_id,
                "Version": release.version,
                "Type": "Full",
                "FileName": url,
                "SHA1": "",
                "SHA256": artifact.sha256.upper(),
                "Size": artifact.size,
                "NotesMarkdown": release.notes,
                "NotesHTML": "",
            }
        ]
    }


SPARKLE_NS = "http://www.andymatuschak.org/xml-namespaces/sparkle"


def sparkle_appcast(offer, url: str | None, *, title: str) -> str:
    """Sparkle's appcast (RSS 2.0): the offer as its one item, `sparkle:edSignature` the
    artifact's vendor signature (what `sign_update` printed), `sparkle:criticalUpdate` when
    the offer is mandatory. No offer: no item, Sparkle's "you're up to date"."""
    items = ""
    if offer is not None:
        release, artifact = offer.release, offer.artifact
        signature = ""
        if artifact.vendor_signature:
            signature = f" sparkle:edSignature={quoteattr(artifact.vendor_signature)}"
        critical = "\n      <sparkle:criticalUpdate/>" if offer.mandatory else ""
        items = f"""
    <item>
      <title>{escape(release.version)}</title>
      <pubDate>{format_datetime(release.published_at)}</pubDate>
      <sparkle:version>{escape(release.version)}</sparkle:version>
      <sparkle:shortVersionString>{escape(release.version)}</sparkle:shortVersionString>{critical}
      <description>{escape(release.notes)}</description>
      <enclosure url={quoteattr(url or "")} length="{artifact.size}" type="application/octet-stream"{signature}/>
    </item>"""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sparkle="{SPARKLE_NS}">
  <channel>
    <title>{escape(title)}</title>{items}
  </channel>
</rss>
"""
