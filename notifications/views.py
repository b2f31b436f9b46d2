"""The unsubscribe link of every digest: a page for people (GET asks, POST does: a mail
scanner following the link unsubscribes no one), and the RFC 8058 one-click POST of mail
clients. The signed token is the only credential."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .services.recipients import recipient_by_token, recipient_unsubscribe

LANGUAGES = ("fr", "en")


def _language(recipient) -> str:
    tenant = getattr(recipient, "tenant", None)
    language = tenant.language if tenant is not None else settings.LANGUAGE_CODE
    return language if language in LANGUAGES else "en"


@csrf_exempt  # a mail client's one-click POST carries no CSRF token; the token is signed
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    recipient = recipient_by_token(token)
    language = _language(recipient)
    with translation.override(language):
        if recipient is None:
            template = f"notifications/unsubscribe_invalid.{language}.html"
            return render(request, template, status=400)
        if request.method == "POST":
            recipient_unsubscribe(recipient=recipient)
        context = {"recipient": recipient, "done": recipient.unsubscribed_at is not None}
        return render(request, f"notifications/unsubscribe.{language}.html", context)
