import io

from django.conf import settings
from django.utils.translation import gettext as _

from core.api.parsers import SafeJSONParser
from core.exceptions import ApiError


def too_large() -> ApiError:
    limit = settings.RELAIS_TELEMETRY_MAX_BODY_BYTES
    return ApiError("PAYLOAD_TOO_LARGE", _("Body over %(n)d bytes.") % {"n": limit}, 413)


class BoundedJSONParser(SafeJSONParser):
    """JSON of at most RELAIS_TELEMETRY_MAX_BODY_BYTES: refused by its declared length before
    anything is read, or after reading one byte more than the limit (chunked bodies)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.RELAIS_TELEMETRY_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large()
        return super().parse(io.BytesIO(body), media_type, parser_context)
