"""Admin login lockout (django-axes): what a locked-out login sees, and axes' records in
the admin for platform staff only."""

import math

from axes.helpers import get_cool_off
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def lockout_response(request, original_response=None, credentials=None):
    """The admin login page's answer once axes locks the account or address: 429, a
    clear message, and when to come back."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    message = ngettext(
        "Too many failed login attempts. Logging in is blocked for %(minutes)d minute: "
        "try again later, or ask a platform administrator to unlock it.",
        "Too many failed login attempts. Logging in is blocked for %(minutes)d minutes: "
        "try again later, or ask a platform administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}
    context = {**admin.site.each_context(request), "title": _("Log in"), "message": message}
    response = render(request, "admin/relais/locked_out.html", context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
