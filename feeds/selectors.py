"""What a feed offers: the update check's own offer (releases.services.check.latest_offer),
asked for the audience a feed request stands for. No second notion of "latest": a feed
shows what the canonical check would offer the same caller, yanked and halted releases
never, a running rollout by the caller's cohort."""

from django.utils.translation import gettext as _

from core.exceptions import ApiError
from devices.platforms import CHANNELS
from devices.services.devices import device_seen
from licensing.models import Product
from releases.services.check import Audience, Offer, device_audience, latest_offer


def feed_not_found() -> ApiError:
    return ApiError("FEED_NOT_FOUND", _("No such feed."), 404)


# electron-updater's generic provider asks for one file per OS ("latest" is its default
# channel name; the Relais channel is in the feed's URL): the platform each one stands for,
# or its OS family alone when the file covers every architecture of that OS (the device's
# own platform then, x86_64 when unknown).
ELECTRON_FILES = {
    "latest.yml": "windows",
    "latest-mac.yml": "macos",
    "latest-linux.yml": "linux-x86_64",
    "latest-linux-arm64.yml": "linux-aarch64",
    "latest-linux-armv7l.yml": "linux-armv7l",
}
# Tauri's `{{target}}` and `{{arch}}` as Relais names them.
TAURI_TARGETS = {"windows": "windows", "darwin": "macos", "linux": "linux"}
TAURI_ARCHES = {"x86_64": "x86_64", "aarch64": "aarch64", "i686": "x86", "armv7": "armv7l"}


def electron_platform(*, filename: str, principal) -> str:
    """The platform a `latest*.yml` request stands for; 404 for a file the provider never
    asks for."""
    platform = ELECTRON_FILES.get(filename)
    if platform is None:
        raise feed_not_found()
    if "-" in platform:
        return platform
    device = getattr(principal, "device", None)
    if device is not None and device.platform.startswith(f"{platform}-"):
        return device.platform
    return f"{platform}-x86_64"


# Velopack's default channels are its OS names (`vpk pack --channel` may add a suffix:
# `win-beta`); its `?arch=` is .NET's RuntimeCpu.
VELOPACK_OSES = {"win": "windows", "osx": "macos", "linux": "linux"}
VELOPACK_ARCHES = {"x64": "x86_64", "arm64": "aarch64", "x86": "x86"}
# Sparkle (macOS only) says its architecture only through the appcast URL (`?arch=`).
SPARKLE_ARCHES = {"x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


def velopack_platform(*, vchannel: str, arch: str | None) -> str:
    family = VELOPACK_OSES.get(vchannel.split("-")[0])
    if family is None or (arch and arch.lower() not in VELOPACK_ARCHES):
        raise feed_not_found()
    return f"{family}-{VELOPACK_ARCHES[(arch or 'x64').lower()]}"


def sparkle_platform(*, arch: str | None, principal) -> str:
    if arch is not None:
        if arch not in SPARKLE_ARCHES:
            raise feed_not_found()
        return f"macos-{SPARKLE_ARCHES[arch]}"
    return electron_platform(filename="latest-mac.yml", principal=principal)


def tauri_platform(*, target: str, arch: str) -> str:
    if target not in TAURI_TARGETS or arch not in TAURI_ARCHES:
        raise feed_not_found()
    return f"{TAURI_TARGETS[target]}-{TAURI_ARCHES[arch]}"


def feed_product(*, slug: str, channel: str) -> Product:
    """The product a feed URL names, on a channel Relais knows; 404 otherwise."""
    if channel not in CHANNELS:
        raise feed_not_found()
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise feed_not_found()
    return product


def feed_audience(
    *, product: Product, principal, channel: str, platform: str, staged: bool = False
) -> Audience:
    """Who asks, for the catalogue. Anonymous: only an `open` product's feed, seeing what
    every device sees (`staged`: with a running rollout's release, for an updater that
    applies the percent itself). With a device token (or a license key and hardwareId):
    the device, its rollout cohort, its license's maintenance end; the channel of the
    feed's URL is the one asked, as the canonical check's `channel` parameter. With a
    license key alone: the license's tenant, bucketed as a whole (as the CyberSensei
    dialect is)."""
    license = getattr(principal, "license", None)
    if license is None:
        if product.distribution != Product.Distribution.OPEN:
            raise ApiError(
                "NOT_AUTHENTICATED",
                _("This feed needs a license key or a device token (Authorization: Bearer)."),
                401,
            )
        return Audience(tenant_id=None, channel=channel, platform=platform, staged=staged)
    if license.product_id != product.pk:
        raise feed_not_found()  # another product's credentials: as if the feed did not exist
    device = principal.device
    if device is None:
        return Audience(
            tenant_id=str(license.tenant_id),
            channel=channel,
            platform=platform,
            updates_until=license.updates_until,
        )
    device_seen(device=device)
    return device_audience(device, platform=platform, channel=channel)


def feed_offer(
    *, product: Product, audience: Audience, current_version: str | None
) -> Offer | None:
    """The catalogue's offer (None: nothing newer than `current_version`; with None, the
    newest release this audience may install)."""
    return latest_offer(product_id=product.pk, audience=audience, current_version=current_version)


def staging_percent(offer: Offer, audience: Audience) -> int | None:
    """The percent an anonymous, self-staging updater applies: its release's rollout's,
    while under 100."""
    rollout = offer.release.rollout
    if not audience.staged or rollout is None or rollout.percent >= 100:
        return None
    return rollout.percent
