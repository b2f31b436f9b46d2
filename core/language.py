"""The backoffice's language for tenant staff: their tenant's (`Tenant.language`) unless they
chose one with the language switch (Django's `set_language`, remembered in its cookie).
Platform staff, and anyone else, get what LocaleMiddleware chose from Accept-Language."""

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from .tenancy import tenant_model

# A tenant's language changes rarely; staff pages are many: read it once a few minutes.
CACHE_SECONDS = 300


def tenant_language(tenant_id) -> str | None:
    key = f"relais:tenant-language:{tenant_id}"
    language = cache.get(key)
    if language is None:
        language = (
            tenant_model().objects.filter(pk=tenant_id).values_list("language", flat=True).first()
        )
        cache.set(key, language or "", CACHE_SECONDS)
    return language or None


def tenant_language_forget(tenant_id) -> None:
    cache.delete(f"relais:tenant-language:{tenant_id}")


class TenantLanguageMiddleware:
    """After AuthenticationMiddleware: switches a tenant's staff to their tenant's language
    when they have not picked one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant_id = self._tenant_id(request)
        if tenant_id is not None and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = tenant_language(tenant_id)
            if language and language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)

    def _tenant_id(self, request):
        # Only the backoffice's session users; the API's bearer clients are not known yet.
        if (
            not request.path.startswith("/admin/")
            or settings.SESSION_COOKIE_NAME not in request.COOKIES
        ):
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        return getattr(user, "tenant_id", None)
