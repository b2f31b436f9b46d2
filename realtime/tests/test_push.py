"""The NEOPRO push in one server process, its handlers driven on an event loop with the
real database calls: a push racing a socket's re-authentication as another site."""

import asyncio
import time

import pytest

from commands.models import DeviceCommand
from commands.services import command_create
from devices.tests.sites import neopro_fleet, registered_site
from realtime import neopro
from realtime.db import db
from realtime.server import build_server
from realtime.state import Connection, state

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(monkeypatch):
    """The process's Socket.IO server with its emits recorded as (event, to, data)."""
    saved = (state.sio, state.loop, state.connections, state.sites, state.counters)
    state.connections, state.sites, state.counters = {}, {}, {}
    sio = build_server()
    sent = []

    async def emit(event, data=None, to=None, room=None, **_):
        sent.append((event, to or room, data))

    async def room_change(sid, room, namespace=None):
        return None

    monkeypatch.setattr(sio, "emit", emit)
    monkeypatch.setattr(sio, "enter_room", room_change)
    monkeypatch.setattr(sio, "leave_room", room_change)
    yield sio, sent
    state.sio, state.loop, state.connections, state.sites, state.counters = saved


def test_a_push_racing_a_reauthentication_stays_with_its_site(server, monkeypatch):
    sio, sent = server
    fleet = neopro_fleet()
    (first, first_key), (second, second_key) = registered_site(fleet), registered_site(fleet)
    authenticate = sio.handlers["/"]["authenticate"]
    real_authenticate = neopro._authenticate

    def slow_authenticate(site_id, api_key):  # the re-authentication's database call
        time.sleep(0.3)
        return real_authenticate(site_id, api_key)

    async def scenario():
        state.connections["s1"] = Connection(sid="s1")
        await authenticate("s1", {"siteId": str(first.pk), "apiKey": first_key})
        command = await db(command_create, device=first, type="reboot")
        monkeypatch.setattr(neopro, "_authenticate", slow_authenticate)
        again = asyncio.create_task(
            authenticate("s1", {"siteId": str(second.pk), "apiKey": second_key})
        )
        await asyncio.sleep(0.05)  # the socket is between sites
        pushed = await neopro.push_pending(str(first.pk))  # as the Redis listener would
        await again
        return command, pushed

    command, pushed = asyncio.run(scenario())

    assert pushed == 0
    assert DeviceCommand.objects.get(pk=command.pk).status == "queued"
    assert [event for event, _, _ in sent] == ["authenticated", "authenticated"]
    assert all(to == "s1" for _, to, _ in sent)
    assert state.sites == {str(second.pk): {"s1"}}


def test_a_socket_authenticated_gets_its_queued_commands_and_no_other_sites(server):
    sio, sent = server
    fleet = neopro_fleet()
    (first, first_key), (second, _) = registered_site(fleet), registered_site(fleet)
    mine = command_create(device=first, type="reboot")
    command_create(device=second, type="reboot")
    authenticate = sio.handlers["/"]["authenticate"]

    async def scenario():
        state.connections["s1"] = Connection(sid="s1")
        await authenticate("s1", {"siteId": str(first.pk), "apiKey": first_key})
        return await neopro.push_pending(str(second.pk))  # no socket of that site here

    assert asyncio.run(scenario()) == 0
    assert [(event, to) for event, to, _ in sent] == [("authenticated", "s1"), ("command", "s1")]
    assert sent[1][2]["id"] == str(mine.pk)
    statuses = dict(DeviceCommand.objects.values_list("device_id", "status"))
    assert statuses == {first.pk: "delivered", second.pk: "queued"}


@pytest.mark.parametrize("room", [None, ""])
def test_an_emit_without_a_room_is_refused_not_broadcast(server, room, caplog):
    from realtime.push import emit_to_room

    _, sent = server
    assert emit_to_room("force-update", {"version": "1.1.0"}, room) is False
    assert sent == [] and "without a room refused" in caplog.text


def test_a_socket_closed_while_authenticating_is_not_left_as_the_site(server, monkeypatch):
    sio, sent = server
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    authenticate, disconnect = sio.handlers["/"]["authenticate"], sio.handlers["/"]["disconnect"]
    real_authenticate = neopro._authenticate

    def slow_authenticate(site_id, api_key):
        time.sleep(0.3)
        return real_authenticate(site_id, api_key)

    monkeypatch.setattr(neopro, "_authenticate", slow_authenticate)

    async def scenario():
        state.connections["s1"] = Connection(sid="s1")
        attempt = asyncio.create_task(authenticate("s1", {"siteId": str(site.pk), "apiKey": key}))
        await asyncio.sleep(0.05)
        await disconnect("s1", "transport close")
        return await attempt

    assert asyncio.run(scenario()) is None
    assert state.sites == {} and sent == []
