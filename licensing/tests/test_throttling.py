import pytest
from django.test import override_settings

from licensing.tests.factories import LicenseFactory

pytestmark = pytest.mark.django_db


@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "3/min", "node": "1000/min"})
@pytest.mark.parametrize(
    ("method", "url", "code_field"),
    [("post", "/api/v1/licenses/validate", "code"), ("get", "/api/license/validate", "code")],
)
def test_validation_is_throttled_per_client(api_client, method, url, code_field):
    license = LicenseFactory()
    call = getattr(api_client, method)
    kwargs = {"format": "json"} if method == "post" else {}
    statuses = [call(url, {"key": license.key}, **kwargs).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = call(url, {"key": license.key}, **kwargs)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()[code_field] == "THROTTLED"
    # Another client (address) is not affected.
    other = call(url, {"key": license.key}, REMOTE_ADDR="10.9.9.9", **kwargs)
    assert other.status_code == 200
