"""Parsing and content negotiation (DRF's settings import this module while views are
still loading: it must import nothing of the project's but `core.text`)."""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from core.text import describe, forbidden_character, forbidden_in_document


class ForbiddenCharacter(ParseError):
    """A control character or lone surrogate in a request (core.exceptions maps it to the
    code `INVALID_CHARACTERS`)."""

    default_detail = "Control characters are not allowed in input."
    default_code = "invalid_characters"

    def __init__(self, char: str):
        super().__init__(f"Control character {describe(char)} is not allowed in input.")


def bounded_body(stream, parser_context=None) -> bytes:
    """The whole body, of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (RELAIS_MAX_BODY_BYTES):
    the one body limit of the API, uploaded files aside. Refused by its declared length
    before anything is read, or on the first byte past the limit. Django holds its forms to
    the same setting and raises the same exception: both are a 413 `PAYLOAD_TOO_LARGE`
    (core.exceptions). The proxy's RELAIS_PROXY_MAX_BODY, above it, bounds uploads."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
    if limit is not None and declared.isdigit() and int(declared) > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    return body


class _RefuseControlCharacters:
    """Every string of the parsed body (keys, values, file names) is checked once here,
    before authentication classes or serializers read it. Tabs and line breaks pass: some
    fields are free text; single-line fields refuse them in `StrictSerializer`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data, files = (parsed.data, parsed.files) if hasattr(parsed, "files") else (parsed, None)
        found = forbidden_in_document(data)
        if found is None and files:
            names = (f.name or "" for _, values in files.lists() for f in values)
            found = next(filter(None, (forbidden_character(n) for n in names)), None)
        if found is not None:
            raise ForbiddenCharacter(found)
        return parsed


class SafeJSONParser(_RefuseControlCharacters, JSONParser):
    """JSON parser that answers a 400 for documents nested deep enough to exhaust the
    interpreter's recursion limit, instead of a 500; bodies held to `bounded_body`."""

    def parse(self, stream, media_type=None, parser_context=None):
        stream = io.BytesIO(bounded_body(stream, parser_context))
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


class SafeFormParser(_RefuseControlCharacters, FormParser):
    pass


class SafeMultiPartParser(_RefuseControlCharacters, MultiPartParser):
    pass


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only: an `Accept: text/html` gets JSON, not a 406."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
