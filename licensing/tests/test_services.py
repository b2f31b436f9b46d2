from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import ApiError
from core.models import Event
from licensing import services
from licensing.codes import Code
from licensing.keys import LICENSE_KEY_RE, secret_hash
from licensing.models import License
from licensing.tests.factories import LicenseFactory, PolicyFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_issue_takes_policy_values_and_stores_only_the_hash():
    policy = PolicyFactory(max_devices=3, max_validations=10, duration=timedelta(days=10))
    issued = services.license_issue(tenant=TenantFactory(), policy=policy)
    license = License.objects.get(pk=issued.license.pk)
    assert LICENSE_KEY_RE.match(issued.key)
    assert license.key_hash == secret_hash(issued.key) != issued.key
    assert license.key_prefix == issued.key[:8]
    assert license.max_devices == 3 and license.max_validations == 10
    assert timedelta(days=9) < license.expires_at - timezone.now() <= timedelta(days=10)
    assert Event.objects.filter(type="license.created", tenant=license.tenant).exists()


def test_issue_overrides_win_over_the_policy():
    policy = PolicyFactory(max_devices=3)
    issued = services.license_issue(
        tenant=TenantFactory(),
        policy=policy,
        max_devices=1,
        expires_at=None,
    )
    assert issued.license.max_devices == 1 and issued.license.expires_at is None


def test_keys_are_random_and_unique():
    policy = PolicyFactory()
    keys = {services.license_issue(tenant=TenantFactory(), policy=policy).key for _ in range(20)}
    assert len(keys) == 20


def test_validate_counts_each_success():
    license = LicenseFactory()
    for expected in (1, 2, 3):
        result = services.license_validate(key=license.key)
        assert result.code == Code.VALID and result.license.validation_count == expected
    license.refresh_from_db()
    assert license.validation_count == 3 and license.last_validated_at is not None


def test_validate_accepts_lowercase_and_spaces():
    license = LicenseFactory()
    assert services.license_validate(key=f"  {license.key.lower()} ").valid


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": License.Status.SUSPENDED}, Code.SUSPENDED),
        ({"status": License.Status.REVOKED}, Code.REVOKED),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, Code.EXPIRED),
    ],
)
def test_validate_refusals(changes, code):
    license = LicenseFactory(**changes)
    result = services.license_validate(key=license.key)
    assert result.code == code and not result.valid
    license.refresh_from_db()
    assert license.validation_count == 0


def test_grace_period_keeps_an_expired_license_valid():
    license = LicenseFactory(
        expires_at=timezone.now() - timedelta(hours=1), grace_period=timedelta(days=1)
    )
    assert services.license_validate(key=license.key).valid


def test_inactive_tenant_is_refused():
    license = LicenseFactory(tenant=TenantFactory(is_active=False))
    assert services.license_validate(key=license.key).code == Code.TENANT_INACTIVE


def test_unknown_and_malformed_keys_are_not_found():
    assert (
        services.license_validate(key="AAAAAAAA-BBBBBBBB-CCCCCCCC-DDDDDDDD").code == Code.NOT_FOUND
    )
    assert services.license_validate(key="nope").code == Code.NOT_FOUND


def test_product_mismatch():
    license = LicenseFactory()
    assert services.license_validate(key=license.key, product="other").code == Code.PRODUCT_MISMATCH
    assert services.license_validate(key=license.key, product=license.product.slug).valid


def test_max_validations_is_enforced():
    license = LicenseFactory(max_validations=2)
    codes = [services.license_validate(key=license.key).code for _ in range(3)]
    assert codes == [Code.VALID, Code.VALID, Code.USAGE_LIMIT_EXCEEDED]
    license.refresh_from_db()
    assert license.validation_count == 2


def test_state_changes_and_their_events():
    license = LicenseFactory()
    services.license_suspend(license=license)
    assert services.license_validate(key=license.key).code == Code.SUSPENDED
    services.license_reinstate(license=license)
    assert services.license_validate(key=license.key).valid
    services.license_revoke(license=license)
    with pytest.raises(ApiError, match="revoked"):
        services.license_reinstate(license=license)
    with pytest.raises(ApiError, match="revoked"):
        services.license_suspend(license=license)  # or suspend + reinstate would revive it
    types = set(Event.objects.values_list("type", flat=True))
    assert {"license.suspended", "license.reinstated", "license.revoked"} <= types


def test_renew_extends_from_expiry_or_from_now():
    license = LicenseFactory(expires_at=timezone.now() - timedelta(days=3))
    services.license_renew(license=license)
    assert timedelta(days=364) < license.expires_at - timezone.now() <= timedelta(days=365)
    before = license.expires_at
    services.license_renew(license=license)
    assert license.expires_at == before + timedelta(days=365)


def test_regenerate_key_invalidates_the_old_one():
    license = LicenseFactory()
    new_key = services.license_regenerate_key(license=license)
    assert services.license_validate(key=license.key).code == Code.NOT_FOUND
    assert services.license_validate(key=new_key).valid


def test_update_refuses_fields_that_are_not_editable():
    license = LicenseFactory()
    with pytest.raises(ApiError) as refused:
        services.license_update(license=license, status="revoked")
    assert refused.value.code == "NOT_EDITABLE"
    services.license_update(license=license, max_devices=9)
    license.refresh_from_db()
    assert license.max_devices == 9


def test_deactivated_products_and_policies_issue_nothing_new():
    from core.exceptions import ApiError as Refusal

    policy = PolicyFactory()
    services.policy_deactivate(policy=policy)
    with pytest.raises(Refusal) as refused:
        services.license_issue(tenant=TenantFactory(), policy=policy)
    assert refused.value.code == "INACTIVE"
    services.policy_activate(policy=policy)
    services.product_deactivate(product=policy.product)
    with pytest.raises(Refusal):
        services.policy_create(product=policy.product, name="Another")
    with pytest.raises(Refusal):
        services.license_issue(tenant=TenantFactory(), policy=policy)


def test_deactivating_a_tenant_is_evented_once_and_stops_its_licenses():
    from licensing.codes import Code, license_status_code
    from licensing.tests.factories import LicenseFactory

    license = LicenseFactory()
    services.tenant_deactivate(tenant=license.tenant)
    services.tenant_deactivate(tenant=license.tenant)  # already off: nothing recorded
    assert Event.objects.filter(type="tenant.deactivated").count() == 1
    license.refresh_from_db()
    assert license_status_code(license) == Code.TENANT_INACTIVE
