"""Helpers every app's services share."""

from django.utils.translation import gettext as _

from ..exceptions import ApiError


def model_update(instance, *, editable: set[str], changes: dict) -> tuple[object, list[str]]:
    """Set `changes` on `instance`, validate and save only the fields whose value really
    changes. Returns the instance and the changed field names: an empty list means nothing
    was saved, so the caller publishes no event. Fields outside `editable` are refused:
    state changes have services of their own."""
    unknown = set(changes) - editable
    if unknown:
        raise ApiError(
            "NOT_EDITABLE", _("Not editable: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    changed = []
    for name, value in changes.items():
        field = instance._meta.get_field(name)
        attname = field.attname
        new = value.pk if field.is_relation and hasattr(value, "pk") else value
        if getattr(instance, attname) != new:
            setattr(instance, name, value)
            changed.append(name)
    if changed:
        instance.full_clean()
        instance.save(update_fields=changed)
    return instance, changed
