"""Which addresses a webhook may target: public ones, and those of the declared networks
(RELAIS_WEBHOOK_ALLOWED_NETWORKS), never a cloud metadata service by accident."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webhooks import transport

ROOT = Path(__file__).resolve().parents[2]


def _accepted(url: str, networks) -> bool:
    try:
        transport.resolve(url, allowed_networks=networks)
    except transport.UnsafeTarget:
        return False
    return True


@pytest.mark.parametrize(
    "url, networks, accepted",
    [
        ("http://10.1.2.3/hook", [], False),
        ("http://10.1.2.3/hook", ["10.0.0.0/8"], True),
        ("http://192.168.2.1/hook", ["10.0.0.0/8", "192.168.1.0/24"], False),
        ("http://192.168.1.20/hook", ["10.0.0.0/8", "192.168.1.0/24"], True),
        ("http://127.0.0.1:8000/hook", ["127.0.0.0/8"], True),
        ("http://[::1]/hook", ["127.0.0.0/8"], False),
        ("http://[::1]/hook", ["::1/128"], True),
        ("http://[fd12::5]/hook", ["fd12::/16"], True),
        ("http://[::ffff:10.1.2.3]/hook", ["10.0.0.0/8"], False),  # an IPv6 form: declare it
        ("http://8.8.8.8/hook", ["10.0.0.0/8"], True),  # public stays allowed
    ],
)
def test_declared_networks_allow_their_addresses(url, networks, accepted):
    assert _accepted(url, networks) is accepted


METADATA = [
    "169.254.169.254",
    "fd00:ec2::254",
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
    "100.100.100.200",
    "168.63.129.16",
    "fe80::a9fe:a9fe",
    "fd20:ce::254",
    "169.254.0.23",
]


def _url(address: str) -> str:
    return f"http://[{address}]/latest" if ":" in address else f"http://{address}/latest"


@pytest.mark.parametrize("address", METADATA)
def test_metadata_addresses_need_their_own_declaration(address):
    # However large the declared networks, a metadata address is not in them by accident.
    huge = ["0.0.0.0/0", "::/0", "169.254.0.0/16", "fe80::/10", "100.64.0.0/10", "fd00::/8"]
    assert not _accepted(_url(address), huge)
    exact = f"{address}/128" if ":" in address else f"{address}/32"
    assert _accepted(_url(address), [exact])


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:169.254.169.254]/latest",  # IPv4-mapped
        "http://[2002:a9fe:a9fe::]/latest",  # 6to4
        "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 (RFC 6052)
    ],
)
def test_metadata_addresses_carried_by_ipv6_need_their_own_declaration(url):
    assert not _accepted(url, ["0.0.0.0/0", "::/0"])


def test_link_local_needs_a_network_inside_link_local():
    assert not _accepted("http://169.254.10.20/hook", ["0.0.0.0/0"])
    assert _accepted("http://169.254.10.20/hook", ["169.254.10.0/24"])
    assert _accepted("http://169.254.10.20/hook", ["169.254.0.0/16"])
    assert not _accepted("http://[fe80::1]/hook", ["::/0"])
    assert _accepted("http://[fe80::1]/hook", ["fe80::/64"])
    # Inside link-local, but the metadata address still needs its own /32.
    assert not _accepted("http://169.254.169.254/hook", ["169.254.169.0/24"])


def test_the_setting_is_what_resolve_reads(settings):
    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    assert transport.resolve("http://10.1.2.3/hook").address == "10.1.2.3"
    with pytest.raises(transport.UnsafeTarget):
        transport.resolve("http://169.254.169.254/latest/meta-data/")
    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(transport.UnsafeTarget):
        transport.resolve("http://10.1.2.3/hook")


def _start(env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_WEBHOOK_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", **env_extra})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["true", "false"])
def test_the_old_boolean_stops_the_start_naming_its_replacement(value):
    result = _start({"RELAIS_WEBHOOK_ALLOW_PRIVATE": value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "RELAIS_WEBHOOK_ALLOWED_NETWORKS" in result.stderr


def test_a_network_that_is_not_one_stops_the_start():
    result = _start({"RELAIS_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8,10.0.0.1/8"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "10.0.0.1/8" in result.stderr


def test_declared_networks_start():
    result = _start({"RELAIS_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8, 192.168.1.0/24,::1/128"})
    assert result.returncode == 0, result.stderr
