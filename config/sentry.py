"""Sentry, only when SENTRY_DSN is set (imported by the settings then, never otherwise).

Nothing a node sends as a credential reaches Sentry: no default PII (cookies, users,
addresses, bodies), the Authorization header and any `key`/`token` parameter dropped, query
strings removed (CyberSensei keys travel as `?key=`), capability paths masked as in the logs
(core.logmask). Events carry the request id of the logs (ops.logs) as a tag."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from core.logmask import mask_path

DROPPED_HEADERS = {"authorization", "cookie", "x-api-key", "x-license-key"}


def scrub(event: dict, hint=None) -> dict:
    """The event without credentials (Sentry's before_send)."""
    request = event.get("request") or {}
    if "url" in request:
        request["url"] = mask_path(request["url"].split("?", 1)[0])
    request.pop("query_string", None)
    request.pop("cookies", None)
    request.pop("data", None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: v for k, v in headers.items() if k.lower() not in DROPPED_HEADERS}
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = mask_path(crumb["message"])
    from ops.logs import NONE, request_id

    if request_id() != NONE:
        event.setdefault("tags", {})["request_id"] = request_id()
    return event


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,
    )
