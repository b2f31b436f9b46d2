from io import StringIO

import pytest
from django.core.management import call_command

from core.signatures import keyring, private_key_load, public_raw

pytestmark = pytest.mark.django_db


def test_generate_prints_a_usable_key():
    out, err = StringIO(), StringIO()
    call_command("signing_key", "--generate", stdout=out, stderr=err)
    name, value = out.getvalue().strip().split("=", 1)
    assert name == "RELAIS_SIGNING_KEY" and len(public_raw(private_key_load(value))) == 32
    assert "kid " in err.getvalue()


def test_the_current_key_as_a_previous_key_line(settings, api_client):
    out = StringIO()
    call_command("signing_key", "--overlap-days", "30", stdout=out)
    line = out.getvalue().strip().splitlines()[-1]
    assert line.startswith("RELAIS_SIGNING_PREVIOUS_KEYS=")
    current = keyring().current.kid
    # Rotate: a new key, the old one published until its notAfter.
    settings.RELAIS_SIGNING_KEY = "A" * 43 + "="
    settings.RELAIS_SIGNING_PREVIOUS_KEYS = [line.split("=", 1)[1]]
    kids = [k["kid"] for k in api_client.get("/api/v1/keys").json()["keys"]]
    assert kids[1] == current and kids[0] != current
