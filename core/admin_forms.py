"""Plain Django forms on the backoffice's own pages (force an update, send a command), drawn
like the theme's: `ThemedForm` gives each widget django-unfold's classes by its kind, and the
templates lay each field out with `unfold/helpers/field.html`."""

from django import forms
from unfold.widgets import (
    CHECKBOX_CLASSES,
    INPUT_CLASSES,
    SELECT_CLASSES,
    TEXTAREA_CLASSES,
    UnfoldAdminRadioSelectWidget,
)


def _classes(widget) -> list[str]:
    if isinstance(widget, forms.CheckboxInput):
        return CHECKBOX_CLASSES
    if isinstance(widget, forms.Select):
        return SELECT_CLASSES
    if isinstance(widget, forms.Textarea):
        return TEXTAREA_CLASSES
    return INPUT_CLASSES


class ThemedForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect):
                field.widget = UnfoldAdminRadioSelectWidget(choices=field.widget.choices)
            else:
                field.widget.attrs.setdefault("class", " ".join(_classes(field.widget)))
