"""Helpers every app's services share."""

from django.utils.translation import gettext as _

from .exceptions import ApiError


def model_update(instance, *, editable: set[str], changes: dict):
    """Set `changes` on `instance`, validate and save only those fields. Fields outside
    `editable` are refused: state changes have services of their own."""
    unknown = set(changes) - editable
    if unknown:
        raise ApiError(
            "NOT_EDITABLE", _("Not editable: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save(update_fields=[*changes])
    return instance
