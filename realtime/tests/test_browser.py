"""Browser pushes over Socket.IO (seed 004) against the real server (uvicorn, config.asgi):
a connection authenticated by a publishable key hears `document.updated` for the documents
its key reads, of its tenant only, and nothing more once the key is revoked."""

import json

import pytest
import requests
import socketio

from documents.tests.factories import make_key
from licensing.services import api_token_create
from licensing.tests.factories import TenantFactory, UserFactory

from .realtime import Agent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browsers():
    opened = []

    def open_(url, key):
        agent = Agent(url, auth={"publishableKey": key})
        opened.append(agent)
        return agent

    yield open_
    for agent in opened:
        agent.close()


def _silent(agent) -> list:
    """What `agent` heard before a round trip: an unknown event is answered with `error`
    on the same socket, after anything the server sent it before."""
    agent.client.emit("flush")
    heard = []
    while True:
        event, data = agent.events.get(timeout=10)
        if event == "error" and data["code"] == "UNKNOWN_EVENT":
            return heard
        heard.append((event, data))


def _put(url, token, name, body, **params):
    return requests.put(
        f"{url}/api/{name}",
        params=params,
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )


def test_keys_hear_their_documents_of_their_tenant_until_revoked(asgi_server, browsers, tenant):
    other = TenantFactory()
    revoked_row, revoked = make_key(tenant, documents=["settings"])
    _, kept = make_key(tenant, documents=["settings", "team"])
    _, foreign = make_key(other, documents=["settings"])
    staff = api_token_create(user=UserFactory(tenant=tenant)).token
    url = asgi_server()
    a, b, c = browsers(url, revoked), browsers(url, kept), browsers(url, foreign)

    assert _put(url, staff, "settings", {"companyName": "TRU"}).status_code == 201
    expected = {"name": "settings", "version": 1, "previousVersion": 0, "changed": ["companyName"]}
    assert a.next("document.updated") == expected
    assert b.next("document.updated") == expected
    assert _silent(c) == []  # another tenant's page hears nothing

    # A document the key does not read is not pushed to it.
    assert _put(url, staff, "team", [{"name": "Alice"}]).status_code == 201
    assert b.next("document.updated")["name"] == "team"
    assert _silent(a) == []

    admin = {"Authorization": f"Bearer {staff}"}
    foreign_staff = api_token_create(user=UserFactory(tenant=other)).token
    revoke = requests.post(
        f"{url}/api/v1/manage/publishable-keys/{revoked_row.pk}/revoke/",
        headers={"Authorization": f"Bearer {foreign_staff}"},
        timeout=10,
    )
    assert revoke.status_code == 404  # another tenant's staff do not even see it
    revoke = requests.post(
        f"{url}/api/v1/manage/publishable-keys/{revoked_row.pk}/revoke/", headers=admin, timeout=10
    )
    assert revoke.status_code == 200 and revoke.json()["is_active"] is False
    assert _put(url, staff, "settings", {"companyName": "TRU SA"}).status_code == 200
    assert b.next("document.updated")["version"] == 2
    assert _silent(a) == []

    with pytest.raises(socketio.exceptions.ConnectionError):
        Agent(url, auth={"publishableKey": revoked})
