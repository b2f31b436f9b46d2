"""django-filter filters that refuse what they cannot read, instead of ignoring it."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TRUE = {True, "true", "True", "1"}
FALSE = {False, "false", "False", "0"}


class StrictBooleanField(forms.NullBooleanField):
    """`?is_active=maybe` is a 400, not a list with no filter applied; empty is no filter."""

    widget = forms.TextInput  # NullBooleanSelect reads any unknown value as "unknown"

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
