"""Input serializers every app's API uses."""

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.text import describe, forbidden_character

# The largest value a PostgreSQL integer column holds: input beyond it is a 400, not a 500.
INT_MAX = 2**31 - 1


class FreeTextField(serializers.CharField):
    """Text that may hold tabs and line breaks (release notes, error messages); other
    control characters are refused by the parsers, like everywhere else."""


def single_line(value: str) -> None:
    found = forbidden_character(value)
    if found is not None:
        raise serializers.ValidationError(
            f"Control character {describe(found)} is not allowed here.", code="invalid_characters"
        )


def _coerced(field, value) -> bool:
    """Whether DRF would coerce `value` into `field`'s type rather than take it as it is."""
    if isinstance(field, serializers.CharField):
        return not isinstance(value, str)
    if isinstance(field, serializers.BooleanField):
        return not isinstance(value, bool)
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return any(v is not None and _coerced(field.child, v) for v in value)
    return False


class StrictTypesMixin:
    """JSON values of the type the schema says. DRF turns `0` into "0" for a CharField and
    `1` into True for a BooleanField; refused here. (A form's values are all text: DRF's
    rules for forms stay.)"""

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                if _coerced(field, value):
                    errors[name] = [_("Not a value of the expected type.")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictTypesMixin, serializers.Serializer):
    """Input serializer that refuses fields it does not know, so a typo is an error, and
    control characters (tabs and line breaks included) in every text field that is not a
    `FreeTextField`."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            for text in (field, getattr(field, "child", None)):  # ListField(child=CharField)
                if isinstance(text, serializers.CharField) and not isinstance(text, FreeTextField):
                    text.validators.append(single_line)
        return fields

    def validate(self, attrs):
        if hasattr(self, "initial_data") and hasattr(self.initial_data, "keys"):
            unknown = set(self.initial_data.keys()) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in sorted(unknown)}
                )
        return super().validate(attrs)
