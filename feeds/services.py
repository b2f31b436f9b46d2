"""What the feeds write: the outcome a feed-driven device reports by checking again
(electron-updater, Tauri, Velopack and Sparkle send no status), and the static feeds of
`open` products in storage."""

import json

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from core.exceptions import ApiError
from devices.platforms import CHANNELS
from feeds.formats import electron_yaml, sparkle_appcast, velopack_feed
from feeds.selectors import (
    ELECTRON_FILES,
    electron_platform,
    feed_audience,
    feed_offer,
    sparkle_platform,
    staging_percent,
    velopack_platform,
)
from licensing.models import Product
from releases.catalogue import catalogue_for_product
from releases.models import UpdateSession
from releases.services.sessions import session_id, session_report
from releases.versions import parse_version


def feed_device_on(*, principal, product_id, version: str | None) -> None:
    """A device (device token) checking a feed on `version`, newer than the version Relais
    knew it on: it installed that release, so its update session closes as COMPLETED (the
    row is made if the device never reported), its version is recorded, and the rollout's
    failure rate counts it. Nothing when the version is unchanged (the usual poll: no
    write), older, unknown to the catalogue, or a release never offered to the device."""
    device = getattr(principal, "device", None)
    if device is None or not version or version == device.app_version:
        return
    try:
        current = parse_version(version)
        if device.app_version and parse_version(device.app_version) >= current:
            return
    except ValueError:
        return
    release = next((r for r in catalogue_for_product(product_id) if r.semver == current), None)
    if release is None:
        return
    try:
        session_report(
            license=device.license,
            device=device,
            session=session_id(device.pk, release.id),
            status=UpdateSession.Status.COMPLETED,
            from_version=device.app_version,
        )
    except ApiError:  # not a release this device could have been offered: not its session
        return


# --- Static feeds (issue 23, item 6) -----------------------------------------------------

STATIC_PREFIX = "feeds"
VELOPACK_CHANNELS = ("win", "osx", "linux")


def _absolute(path: str) -> str:
    return settings.RELAIS_PUBLIC_URL.rstrip("/") + path


def _download_url(artifact) -> str:
    return _absolute(reverse("update-download-named", args=[artifact.id, artifact.filename]))


def static_feeds(product: Product) -> dict[str, bytes | None]:
    """What an anonymous updater is answered without a version, per file under
    `feeds/<product>/<channel>/`, for an `open` product: electron-updater's `latest*.yml`
    (None: nothing to offer, the file is removed), Velopack's `releases.<os>.json` (x64)
    and Sparkle's appcast (x86_64). The same selectors and formats as the dynamic routes,
    so the files are what those routes answer. Tauri's endpoint is dynamic only."""
    files: dict[str, bytes | None] = {}
    for channel in CHANNELS:
        base = f"{STATIC_PREFIX}/{product.slug}/{channel}"
        for filename in ELECTRON_FILES:
            platform = electron_platform(filename=filename, principal=None)
            audience = feed_audience(
                product=product, principal=None, channel=channel, platform=platform, staged=True
            )
            offer = feed_offer(product=product, audience=audience, current_version=None)
            files[f"{base}/{filename}"] = (
                electron_yaml(
                    offer, _download_url(offer.artifact), staging_percent(offer, audience)
                ).encode()
                if offer
                else None
            )
        for vchannel in VELOPACK_CHANNELS:
            platform = velopack_platform(vchannel=vchannel, arch=None)
            audience = feed_audience(
                product=product, principal=None, channel=channel, platform=platform
            )
            offer = feed_offer(product=product, audience=audience, current_version=None)
            url = _download_url(offer.artifact) if offer else None
            body = velopack_feed(offer, url, package_id=product.slug)
            files[f"{base}/releases.{vchannel}.json"] = json.dumps(body).encode()
        platform = sparkle_platform(arch=None, principal=None)
        audience = feed_audience(
            product=product, principal=None, channel=channel, platform=platform
        )
        offer = feed_offer(product=product, audience=audience, current_version=None)
        url = _download_url(offer.artifact) if offer else None
        files[f"{base}/appcast.xml"] = sparkle_appcast(offer, url, title=product.name).encode()
    return files


def static_feeds_write(*, product_id) -> int:
    """Write an `open` product's static feeds to the configured storage (S3 or local),
    replacing each file whose content changed and removing those with nothing to offer;
    the number of files written or removed. Nothing for another product."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None or product.distribution != Product.Distribution.OPEN:
        return 0
    changed = 0
    for name, content in static_feeds(product).items():
        exists = default_storage.exists(name)
        if content is None:
            if exists:
                default_storage.delete(name)
                changed += 1
            continue
        if exists:
            with default_storage.open(name, "rb") as handle:
                if handle.read() == content:
                    continue
            default_storage.delete(name)  # storages save under a new name otherwise
        default_storage.save(name, ContentFile(content))
        changed += 1
    return changed
