"""Sending a webhook without being turned against the network it runs in (SSRF).

A target is http(s) only. Its host is resolved once, and every address it resolves to must
be allowed (`address_allowed`): public, or inside a network the operator declared in
RELAIS_WEBHOOK_ALLOWED_NETWORKS (on-premise receivers on the LAN), with two exceptions no
large declaration covers by accident: link-local addresses, and cloud metadata services
above all. The request then connects to the address that was checked, never resolving the
name a second time (no DNS rebinding), with the original name in the Host header and, for
https, in SNI and certificate verification. Redirects are not followed, time is bounded,
and the response body read is capped.
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
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))

# Cloud metadata and credential services. One is allowed only when a declared network is
# exactly that address (its /32 or /128): a network that merely contains it (0.0.0.0/0,
# 169.254.0.0/16, fd00::/8, 100.64.0.0/10...) does not.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        # Instance metadata of AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean, Hetzner...
        "169.254.169.254",
        # AWS IMDS over IPv6 (Nitro instances), docs.aws.amazon.com/AWSEC2/latest/UserGuide/
        # instancedata-data-retrieval.html
        "fd00:ec2::254",
        # AWS ECS task metadata and task role credentials, docs.aws.amazon.com/AmazonECS/
        # latest/developerguide/task-iam-roles.html
        "169.254.170.2",
        # AWS EKS Pod Identity agent (credentials), docs.aws.amazon.com/eks/latest/userguide/
        # pod-id-agent-setup.html
        "169.254.170.23",
        "fd00:ec2::23",
        # Alibaba Cloud ECS metadata, alibabacloud.com/help/en/ecs/user-guide/
        # view-instance-metadata
        "100.100.100.200",
        # Azure WireServer (a public address, so refused even with no declaration),
        # learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16
        "168.63.129.16",
        # GCP metadata server over IPv6, cloud.google.com/compute/docs/metadata/
        # querying-metadata
        "fd20:ce::254",
        # OpenStack metadata over IPv6, specs.openstack.org/openstack/neutron-specs/specs/
        # ussuri/metadata-add-ipv6-support.html
        "fe80::a9fe:a9fe",
        # Tencent Cloud metadata (metadata.tencentyun.com), tencentcloud.com/document/
        # product/213/4934
        "169.254.0.23",
    )
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _public(address: Address) -> bool:
    if address in SITE_LOCAL:
        return False
    return address.is_global and not address.is_multicast and not address.is_reserved


def _carried(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form delivers to, if it is one of those forms."""
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]


def address_allowed(address: Address, networks: list[Network]) -> bool:
    """Whether a webhook may connect to `address`, given the declared `networks`.

    - a metadata address (METADATA_ADDRESSES): only if a declared network is that address;
    - a link-local address: only if it is in a declared network lying inside link-local
      space (169.254.0.0/16, fe80::/10);
    - any other address: if it is public, or in a declared network.
    An IPv6 form carrying an IPv4 address (mapped, 6to4, Teredo, NAT64) must pass for both.
    """
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried(address)
        if carried is not None and not address_allowed(carried, networks):
            return False
    if address in METADATA_ADDRESSES:
        return any(network.num_addresses == 1 and address in network for network in networks)
    for space in LINK_LOCAL:
        if address in space:
            return any(address in network and network.subnet_of(space) for network in networks)
    return _public(address) or any(address in network for network in networks)


def _networks(cidrs) -> list[Network]:
    return [ipaddress.ip_network(cidr) for cidr in cidrs]


def resolve(url: str, *, allowed_networks: list[str] | None = None) -> Target:
    """Check `url` and pick the address to connect to; UnsafeTarget when it is refused.
    `allowed_networks` (CIDRs) defaults to RELAIS_WEBHOOK_ALLOWED_NETWORKS."""
    if allowed_networks is None:
        allowed_networks = settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS
    networks = _networks(allowed_networks)
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
    if not all(address_allowed(a, networks) for a in addresses):
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
