"""Semantic versions. Clients send loose ones ("1.2", "v2.0.0"): they are completed."""

import functools
import re

import semver
from django.utils.translation import gettext as _

from core.exceptions import ApiError

_LOOSE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$")


@functools.lru_cache(maxsize=1024)  # a fleet sends few distinct versions; Version is immutable
def parse_version(text: str) -> semver.Version:
    """Parse `1.2.3`, `1.2`, `v1.2.3-beta.1`; raise ValueError on anything else."""
    text = (text or "").strip()
    match = _LOOSE.match(text)
    if not match or len(text) > 100:
        raise ValueError(_("Not a semantic version: %(text)s") % {"text": text})
    major, minor, patch, rest = match.groups()
    try:
        return semver.Version.parse(f"{major}.{minor or 0}.{patch or 0}{rest}")
    except ValueError as exc:
        raise ValueError(_("Not a semantic version: %(text)s") % {"text": text}) from exc


def version_or_refuse(text: str) -> semver.Version:
    """`parse_version` for API input: a malformed version is a 400 `INVALID_VERSION`."""
    try:
        return parse_version(text)
    except ValueError as exc:
        raise ApiError("INVALID_VERSION", str(exc), 400) from exc
