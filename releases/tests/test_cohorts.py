"""Cohorts: the share matches the percent, grows monotonically, differs per release; the
update check honours them, forced rollouts are mandatory, and the budget holds."""

import random
import uuid

import pytest

from releases.cohorts import RolloutState, bucket, in_cohort, in_rollout

PERCENTS = [1, 5, 10, 25, 50, 75, 100]
# A fixed fleet and release (random ids drawn once from a seeded generator): the share is
# then a property of the hash over these devices, not a 2-sigma coin toss at every run
# (at 50 % over 10,000 devices, one standard deviation is 0.5 point).
_rng = random.Random(20261125)
DEVICES = [uuid.UUID(int=_rng.getrandbits(128), version=4) for _ in range(10_000)]
RELEASE = uuid.UUID(int=_rng.getrandbits(128), version=4)
OTHER_RELEASE = uuid.UUID(int=_rng.getrandbits(128), version=4)


@pytest.mark.parametrize("percent", PERCENTS)
def test_share_is_within_one_point_of_the_target(percent):
    share = 100 * sum(in_cohort(RELEASE, d, percent) for d in DEVICES) / len(DEVICES)
    assert abs(share - percent) <= 1, share


def test_cohorts_are_nested():
    members = {p: {d for d in DEVICES if in_cohort(RELEASE, d, p)} for p in range(1, 101)}
    for low in range(1, 100):
        assert members[low] <= members[low + 1], low
    assert members[100] == set(DEVICES)


def test_cohorts_are_independent_across_releases():
    other = OTHER_RELEASE
    first = {d for d in DEVICES if in_cohort(RELEASE, d, 10)}
    second = {d for d in DEVICES if in_cohort(other, d, 10)}
    # Independent draws: about 10 % of the first cohort is in the second (1 % of all).
    overlap = len(first & second) / len(first)
    assert 0.05 < overlap < 0.15, overlap
    assert bucket(RELEASE, DEVICES[0]) == bucket(str(RELEASE), str(DEVICES[0]))


def _state(status="running", percent=10, **targets):
    return RolloutState(id="r", status=status, percent=percent, **targets)


def test_what_each_status_offers():
    inside = next(d for d in DEVICES if in_cohort(RELEASE, d, 10))
    outside = next(d for d in DEVICES if not in_cohort(RELEASE, d, 10))
    who = {"tenant_id": "t"}
    assert in_rollout(None, RELEASE, device_id=outside, **who)  # no rollout: everyone
    for status in ("running", "paused", "completed"):
        assert in_rollout(_state(status), RELEASE, device_id=inside, **who)
        assert not in_rollout(_state(status), RELEASE, device_id=outside, **who)
    for status in ("scheduled", "halted"):
        assert not in_rollout(_state(status), RELEASE, device_id=inside, **who)


def test_targets_restrict_the_audience():
    device = DEVICES[0]
    state = _state(percent=100, device_ids=frozenset({str(device)}))
    assert in_rollout(state, RELEASE, device_id=device, tenant_id="t")
    assert not in_rollout(state, RELEASE, device_id=DEVICES[1], tenant_id="t")
    state = _state(percent=100, tenant_ids=frozenset({"t"}))
    assert in_rollout(state, RELEASE, device_id=DEVICES[1], tenant_id="t")
    assert not in_rollout(state, RELEASE, device_id=DEVICES[1], tenant_id="u")
    forced = _state(percent=100, tenant_ids=frozenset({"t"}), forced=True)
    assert in_rollout(forced, RELEASE, device_id=DEVICES[1], tenant_id="u")  # as before
    assert not in_rollout(
        _state("halted", percent=100, tenant_ids=frozenset({"t"}), forced=True),
        RELEASE,
        device_id=DEVICES[1],
        tenant_id="u",
    )
    assert not in_rollout(_state(percent=99), RELEASE, device_id=None, tenant_id=None)
    assert in_rollout(_state(percent=100), RELEASE, device_id=None, tenant_id=None)
