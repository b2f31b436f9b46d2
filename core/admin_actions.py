"""What every admin action that calls a service per selected row shares."""

from django.contrib import messages

from .exceptions import ApiError


def apply_each(request, queryset, service, *, arg: str, done: str) -> None:
    """Call `service(<arg>=row)` for each row; report refusals, and success only if none."""
    failed = False
    for row in queryset:
        try:
            service(**{arg: row})
        except ApiError as exc:
            failed = True
            messages.error(request, f"{row}: {exc.message}")
    if not failed:
        messages.success(request, done)
