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
