"""Sending a webhook without being turned against the network it runs in (SSRF).

A target is http(s) only. Its host is resolved once; every address it resolves to must be
public (not loopback, private, link-local such as 169.254.169.254, multicast, reserved,
unspecified, nor an IPv4-mapped IPv6 form of those), unless RELAIS_WEBHOOK_ALLOW_PRIVATE
is on (on-premise installs). The request then connects to the address that was checked,
never resolving the name a second time (no DNS rebinding), with the original name in the
Host header and, for https, in SNI and certificate verification. Redirects are not
followed, time is bounded, and the response body read is capped.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ApiError


class UnsafeTarget(ApiError):
    def __init__(self, message: str):
        super().__init__("UNSAFE_URL", message, 400)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL: Host header, SNI, certificate
    address: str  # the checked IP the request connects to
    port: int
    path: str


SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated, still routed by some stacks


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # Forms that carry an IPv4 address: judged by the address they carry.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and _refused(embedded):
            return True
        if address in SITE_LOCAL:
            return True
    return not address.is_global or address.is_multicast or address.is_reserved


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """Check `url` and pick the address to connect to; UnsafeTarget when it is refused."""
    if allow_private is None:
        allow_private = settings.RELAIS_WEBHOOK_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(_("Not a valid URL.")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("Only http and https URLs with a host are accepted."))
    try:  # the ASCII form: what DNS, the Host header, SNI and the certificate speak
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeTarget(_("Not a valid host name.")) from exc
    if parts.username or parts.password:
        raise UnsafeTarget(_("Credentials in the URL are not accepted: sign, don't embed."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(_("The host name does not resolve.")) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeTarget(_("The host name does not resolve."))
    if not allow_private and any(_refused(a) for a in addresses):
        raise UnsafeTarget(
            _("The host resolves to a private, loopback or reserved address: refused.")
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, str(addresses[0]), port, path)


@dataclass(frozen=True)
class Response:
    status: int | None
    body: str
    duration_ms: int
    error: str = ""


def send_deadline() -> float:
    """The most one send may take, whatever the receiver does (a slow drip of bytes
    resets a socket's read timeout at each byte)."""
    return settings.RELAIS_WEBHOOK_CONNECT_TIMEOUT + settings.RELAIS_WEBHOOK_READ_TIMEOUT + 5


def post(target: Target, body: bytes, headers: dict, *, max_body: int) -> Response:
    """POST `body` to the checked address of `target`, within `send_deadline()`."""
    # `total` caps each socket wait at what is left of the deadline; the loop below stops
    # a drip of bytes between waits. A send lasts at most about twice the deadline.
    timeout = urllib3.Timeout(
        connect=settings.RELAIS_WEBHOOK_CONNECT_TIMEOUT,
        read=settings.RELAIS_WEBHOOK_READ_TIMEOUT,
        total=send_deadline(),
    )
    deadline = time.monotonic() + send_deadline()
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header = f"{host_header}:{target.port}"
    options = {"timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, **options)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        data = b""
        try:
            while len(data) < max_body:
                if time.monotonic() > deadline:
                    raise urllib3.exceptions.ReadTimeoutError(pool, target.path, "send deadline")
                chunk = response.read1(min(1024, max_body - len(data)))
                if not chunk:
                    break
                data += chunk
        finally:
            response.release_conn()
        elapsed = int((time.monotonic() - started) * 1000)
        return Response(response.status, data.decode("utf-8", "replace"), elapsed)
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Response(None, "", elapsed, error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        pool.close()
