"""Keys and tokens are never stored or logged in clear."""

import logging

import pytest
from django.core.management import call_command
from django.db import connection

from licensing.services import api_token_create, license_issue
from licensing.tests.factories import PolicyFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _database_dump() -> str:
    """Every text value of every table, as one string."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the DB
            chunks.extend(str(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_license_key_and_api_token_are_not_in_the_database_or_logs(api_client, caplog):
    caplog.set_level(logging.DEBUG)
    policy = PolicyFactory()
    issued = license_issue(tenant=TenantFactory(), policy=policy)
    token = api_token_create(user=UserFactory()).token
    api_client.post("/api/v1/licenses/validate", {"key": issued.key}, format="json")
    api_client.get("/api/license/validate", {"key": issued.key})
    dump = _database_dump()
    assert issued.key not in dump and issued.key.lower() not in dump
    assert token not in dump
    assert issued.key[8:] not in dump  # the prefix is stored for display, the rest never
    assert issued.key not in caplog.text and token not in caplog.text


def test_create_api_token_prints_it_once_and_stores_its_hash(capsys):
    user = UserFactory(username="ci-bot")
    call_command("create_api_token", "ci-bot")
    token = capsys.readouterr().out.strip()
    assert token.startswith("rlt_")
    assert token not in _database_dump()
    assert user.api_tokens.count() == 1


def test_create_api_token_with_a_default_tenant(capsys):
    from django.core.management.base import CommandError

    from licensing.tests.factories import TenantFactory

    tenant = TenantFactory(slug="tru-group")
    user = UserFactory(username="backoffice", is_staff=True)
    call_command("create_api_token", "backoffice", "--tenant", "tru-group")
    call_command("create_api_token", "backoffice", "--tenant", str(tenant.pk))
    assert [t.default_tenant for t in user.api_tokens.all()] == [tenant, tenant]
    with pytest.raises(CommandError):
        call_command("create_api_token", "backoffice", "--tenant", "nobody")
