import functools

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ApiError

CHANNELS = {"stable": ("stable",), "beta": ("stable", "beta"), "alpha": ("stable", "beta", "alpha")}


def validate_platform(platform: str) -> None:
    if platform and platform != "any" and platform not in settings.RELAIS_PLATFORMS:
        raise ApiError(
            "UNKNOWN_PLATFORM",
            _("Unknown platform: %(platform)s.") % {"platform": platform},
            400,
            platforms=sorted(settings.RELAIS_PLATFORMS),
        )


def validate_channel(channel: str) -> None:
    if channel and channel not in CHANNELS:
        raise ApiError(
            "UNKNOWN_CHANNEL",
            _("Unknown channel: %(channel)s.") % {"channel": channel},
            400,
            channels=[*CHANNELS],
        )


def channels_seen_by(channel: str) -> tuple[str, ...]:
    """Inclusive channels: a beta device also gets stable releases."""
    return CHANNELS.get(channel or "stable", CHANNELS["stable"])


_FAMILIES = (
    ("windows", ("windows", "win32", "win64")),
    ("macos", ("macos", "mac os", "os x", "osx", "darwin")),
    ("linux", ("linux", "ubuntu", "debian", "fedora", "centos", "red hat", "rhel", "alpine")),
)
_ARCHES = (
    ("aarch64", ("aarch64", "arm64")),
    ("armv7l", ("armv7", "armhf")),
    ("x86_64", ("x86_64", "x86-64", "amd64", "x64")),
)


@functools.lru_cache(maxsize=256)
def _guess(os_version: str) -> str:
    text = os_version.lower()
    family = next((name for name, words in _FAMILIES if any(w in text for w in words)), "")
    if not family:
        return ""
    arch = next((name for name, words in _ARCHES if any(w in text for w in words)), "x86_64")
    return f"{family}-{arch}"


def platform_from_os(os_version: str) -> str:
    """The platform an OS description names ("Windows 10 22H2" → windows-x86_64, "Ubuntu
    22.04 arm64" → linux-aarch64), x86_64 unless it says otherwise; "" when it names none
    of RELAIS_PLATFORMS."""
    guessed = _guess(os_version or "")
    return guessed if guessed in settings.RELAIS_PLATFORMS else ""
