"""Parsing and content negotiation (DRF's settings import this module while views are
still loading: it must import nothing of the project's)."""

from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """JSON parser that answers a 400 for documents nested deep enough to exhaust the
    interpreter's recursion limit, instead of a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only: an `Accept: text/html` gets JSON, not a 406."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
