"""Secrets the admin shows once: a one-time page fed by a short-lived server-side store.

A new license key or device token must not travel through the messages framework: that
keeps it in clear in `django_session` or in the signed (not encrypted) messages cookie until
the next page view. Instead the admin stashes the secrets in the cache under a random token
(`secret_page_url`), and redirects to `/admin/secret/<token>/`, which shows them to the user
who created them, once: reading deletes them, and a second visit says they are gone.
"""

import hashlib
import secrets

from django.contrib import admin
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# Long enough to read the page, short enough that an abandoned secret does not linger.
TTL_SECONDS = 300


def _cache_key(token: str) -> str:
    # The cache holds a hash of the token: listing the cache gives no page URL.
    return "relais:admin-secret:" + hashlib.sha256(token.encode()).hexdigest()


def secret_page_url(request, *, title: str, secrets_shown: list[tuple[str, str]], back: str):
    """Stash `secrets_shown` (label, secret) for the current user; the URL that shows them."""
    token = secrets.token_urlsafe(32)
    entry = {
        "user_id": request.user.pk,
        "title": str(title),
        "secrets": [(str(label), secret) for label, secret in secrets_shown],
        "back": back,
    }
    cache.set(_cache_key(token), entry, TTL_SECONDS)
    return reverse("admin-secret", args=[token])


def redirect_to_secrets(request, **kwargs) -> HttpResponseRedirect:
    """An admin action's answer: the one-time page (see `secret_page_url`)."""
    return HttpResponseRedirect(secret_page_url(request, **kwargs))


def secret_view(request, token: str):
    key = _cache_key(token)
    entry = cache.get(key)
    # Another user's token looks like a spent one, and does not spend it. `delete` answers
    # whether it removed the entry: of two concurrent reads, one shows it.
    if entry is not None and entry["user_id"] == request.user.pk and cache.delete(key):
        context = {**admin.site.each_context(request), **entry, "gone": False}
        status = 200
    else:
        context = {
            **admin.site.each_context(request),
            "title": _("Secret no longer available"),
            "gone": True,
            "back": reverse("admin:index"),
        }
        status = 404
    response = render(request, "admin/relais/secret.html", context, status=status)
    patch_cache_control(response, no_store=True, no_cache=True, must_revalidate=True, private=True)
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [
    path("admin/secret/<str:token>/", admin.site.admin_view(secret_view), name="admin-secret"),
]
