"""Django validators over core.text, for forms (the admin) and models alike."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .text import describe, forbidden_character, forbidden_in_document


def _refuse(char):
    if char is not None:
        message = _("Control character %(char)s is not allowed here.") % {"char": describe(char)}
        raise ValidationError(message, code="invalid_characters")


def single_line(value) -> None:
    if isinstance(value, str):
        _refuse(forbidden_character(value))


def free_text(value) -> None:
    if isinstance(value, str):
        _refuse(forbidden_character(value, free_text=True))


def json_document(value) -> None:
    """PostgreSQL refuses `\\u0000` anywhere in jsonb."""
    _refuse(forbidden_in_document(value))
