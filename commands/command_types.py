"""The NEOPRO agent's commands and their `data`, with the seed's field names. A product's
`allowed_commands` chooses among these (default: the agent's own ALLOWED_COMMANDS)."""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from core.exceptions import ApiError

SERVICES = ["neopro-app", "neopro-admin", "neopro-sync-agent"]


def _plain_name(value: str) -> None:
    """A file or folder name, never a path: the agent joins it under its videos folder."""
    if value in (".", "..") or "/" in value or "\\" in value:
        raise serializers.ValidationError(_("A name, not a path."), code="invalid")


def _http_url(value: str) -> None:
    """http(s) with a host: the agent's server may be a LAN name without a dot
    (`https://server/videos/file.mp4` in the seed), which Django's URL check refuses."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise serializers.ValidationError(_("Enter an http(s) URL."), code="invalid")


class HttpUrlField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=4000, validators=[_http_url], **kwargs)


class NameField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=255, validators=[_plain_name], **kwargs)


class DeployVideo(StrictSerializer):
    videoUrl = HttpUrlField()
    filename = NameField()
    originalName = serializers.CharField(max_length=255, required=False, allow_blank=True)
    category = NameField()
    subcategory = NameField(required=False, allow_blank=True)
    videoId = serializers.CharField(max_length=100, required=False, allow_blank=True)
    duration = serializers.FloatField(min_value=0, required=False)


class DeleteVideo(StrictSerializer):
    filename = NameField()
    category = NameField()
    subcategory = NameField(required=False, allow_blank=True)


class UpdateSoftware(StrictSerializer):
    updateUrl = HttpUrlField()
    version = serializers.CharField(max_length=100)
    checksum = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False, allow_blank=True)


def config_check(value) -> list[str]:
    """What is wrong with a NEOPRO `configuration.json` (`{"version": "1.0", "categories":
    [...]}` in the seed): an object; `version`, when present, a string; `categories`, when
    present, a list of objects, each with a `name` that is a plain name."""
    if not isinstance(value, dict):
        return [_("The configuration must be a JSON object.")]
    problems = []
    if "version" in value and not isinstance(value["version"], str):
        problems.append(_("`version` must be a string."))
    categories = value.get("categories", [])
    if not isinstance(categories, list):
        return [*problems, _("`categories` must be a list.")]
    for index, category in enumerate(categories):
        name = category.get("name") if isinstance(category, dict) else None
        if not isinstance(name, str) or not name.strip():
            problems.append(_("categories[%(i)d] needs a `name`.") % {"i": index})
        elif name in (".", "..") or "/" in name or "\\" in name:
            problems.append(_("categories[%(i)d]: a name, not a path.") % {"i": index})
    return problems


def _config(value) -> None:
    problems = config_check(value)
    if problems:
        raise serializers.ValidationError(problems, code="invalid")


class UpdateConfig(StrictSerializer):
    configuration = serializers.DictField(validators=[_config])


class RestartService(StrictSerializer):
    service = serializers.ChoiceField(choices=SERVICES)


class GetLogs(StrictSerializer):
    service = serializers.ChoiceField(choices=SERVICES)
    lines = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=100)


class NoData(StrictSerializer):
    pass


COMMAND_TYPES: dict[str, type[serializers.Serializer]] = {
    "deploy_video": DeployVideo,
    "delete_video": DeleteVideo,
    "update_software": UpdateSoftware,
    "update_config": UpdateConfig,
    "reboot": NoData,
    "restart_service": RestartService,
    "get_logs": GetLogs,
    "get_system_info": NoData,
}


def json_size(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def command_data_clean(*, type: str, data, allowed, from_release: bool = False) -> dict:
    """`data` checked for `type`, or an ApiError naming what is wrong. `from_release`:
    update_software's URL and checksum come from the release at delivery."""
    if type not in COMMAND_TYPES:
        raise ApiError(
            "UNKNOWN_COMMAND_TYPE", _("Unknown command type: %(type)s") % {"type": type}, 400
        )
    if type not in (allowed or []):
        raise ApiError(
            "COMMAND_NOT_ALLOWED",
            _("Command %(type)s is not allowed for this product.") % {"type": type},
            400,
        )
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ApiError("VALIDATION_ERROR", _("`data` must be an object."), 400)
    if json_size(data) > settings.RELAIS_COMMAND_MAX_DATA_BYTES:
        raise ApiError("PAYLOAD_TOO_LARGE", _("`data` is too large."), 413)
    if from_release:
        return {}
    serializer = COMMAND_TYPES[type](data=data)
    if not serializer.is_valid():
        raise ApiError(
            "VALIDATION_ERROR", _("Invalid input."), 400, errors={"data": serializer.errors}
        )
    return json.loads(json.dumps(serializer.validated_data))
