"""Rollout services: stages, the state machine, the beat's tick with a frozen clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.event_types import EVENT_TYPES
from core.exceptions import ApiError
from core.models import Event
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory, TenantFactory
from releases.models import Release, Rollout, UpdateSession
from releases.services import rollouts
from releases.services.sessions import session_id
from releases.tests.factories import ReleaseFactory, published_release

pytestmark = pytest.mark.django_db
STAGES = [
    {"percent": 10, "holdMinutes": 60},
    {"percent": 50, "holdMinutes": 60},
    {"percent": 100, "holdMinutes": 60},
]


@pytest.fixture
def release():
    return published_release(product=ProductFactory(), version="1.1.0")


def _types():
    return list(Event.objects.order_by("created_at").values_list("type", flat=True))


def test_start_runs_the_first_stage_and_points_the_release_at_it(release):
    rollout = rollouts.rollout_start(release=release, stages=STAGES)
    assert rollout.status == "running" and rollout.percent == 10 and rollout.stage == 0
    assert Release.objects.get(pk=release.pk).current_rollout_id == rollout.pk
    assert _types()[-1] == "rollout.started"


@pytest.mark.parametrize(
    "stages",
    [
        [{"percent": 50}, {"percent": 10}],
        [{"percent": 10}, {"percent": 10}],
        [{"percent": 0}],
        [{"percent": 101}],
        [{"percent": 10, "holdMinutes": -1}],
        [{"percent": "10"}],
        [],
        [{"percent": 10, "hold": 5}],
    ],
)
def test_bad_stages_are_refused_and_nothing_is_written(release, stages):
    events = Event.objects.count()
    with pytest.raises(ApiError) as refused:
        rollouts.rollout_start(release=release, stages=stages)
    assert refused.value.code == "INVALID_STAGES"
    assert not Rollout.objects.exists() and Event.objects.count() == events


def test_a_draft_or_yanked_release_cannot_be_rolled_out(release):
    draft = ReleaseFactory(product=release.product)
    with pytest.raises(ApiError) as refused:
        rollouts.rollout_start(release=draft)
    assert refused.value.code == "RELEASE_NOT_PUBLISHED"
    from releases.services.releases import release_yank

    release_yank(release=release)
    with pytest.raises(ApiError) as refused:
        rollouts.rollout_start(release=release, forced=True)
    assert refused.value.code == "RELEASE_NOT_PUBLISHED" and not Rollout.objects.exists()


def test_one_active_rollout_per_release(release):
    first = rollouts.rollout_start(release=release, stages=STAGES)
    with pytest.raises(ApiError) as refused:
        rollouts.rollout_start(release=release)
    assert refused.value.code == "ROLLOUT_ACTIVE"
    rollouts.rollout_halt(rollout=first)
    second = rollouts.rollout_start(release=release)
    assert Release.objects.get(pk=release.pk).current_rollout_id == second.pk


def test_the_database_refuses_a_second_active_rollout(release):
    from django.db import IntegrityError, transaction

    Rollout.objects.create(release=release, stages=STAGES, status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rollout.objects.create(release=release, stages=STAGES, status="paused")


def test_pause_resume_halt_and_their_events(release):
    rollout = rollouts.rollout_start(release=release, stages=STAGES)
    rollouts.rollout_pause(rollout=rollout)
    rollouts.rollout_pause(rollout=rollout)  # a repeat changes nothing
    rollouts.rollout_resume(rollout=rollout)
    rollouts.rollout_advance(rollout=rollout)
    rollouts.rollout_halt(rollout=rollout, reason="Crash on start")
    assert _types()[-5:] == [
        "rollout.started",
        "rollout.paused",
        "rollout.resumed",
        "rollout.advanced",
        "rollout.halted",
    ]
    rollout.refresh_from_db()
    assert rollout.percent == 50 and rollout.halt_reason == "Crash on start"
    with pytest.raises(ApiError) as refused:
        rollouts.rollout_resume(rollout=rollout)
    assert refused.value.code == "INVALID_TRANSITION"
    assert set(_types()) <= set(EVENT_TYPES)


def test_tick_advances_after_the_hold_and_completes_after_the_last(release):
    rollout = rollouts.rollout_start(release=release, stages=STAGES)
    t0 = rollout.stage_started_at
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=t0 + timedelta(minutes=59)) == ""
    assert (
        rollouts.rollout_tick(rollout_id=rollout.pk, now=t0 + timedelta(minutes=60)) == "advanced"
    )
    # A second tick at the same instant (a second worker) applies nothing more.
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=t0 + timedelta(minutes=60)) == ""
    rollout.refresh_from_db()
    assert (rollout.stage, rollout.percent) == (1, 50)
    assert (
        rollouts.rollout_tick(rollout_id=rollout.pk, now=t0 + timedelta(minutes=120)) == "advanced"
    )
    assert (
        rollouts.rollout_tick(rollout_id=rollout.pk, now=t0 + timedelta(minutes=180)) == "completed"
    )
    rollout.refresh_from_db()
    assert rollout.status == "completed" and rollout.percent == 100
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=t0 + timedelta(days=1)) == ""
    assert _types()[-4:] == [
        "rollout.started",
        "rollout.advanced",
        "rollout.advanced",
        "rollout.completed",
    ]


def _sessions(release, statuses):
    for status in statuses:
        device = DeviceFactory(license__policy__product=release.product)
        UpdateSession.objects.create(
            id=session_id(device.pk, release.pk),
            device=device,
            release=release,
            to_version=release.version,
            status=status,
        )


def test_tick_halts_over_the_failure_threshold_once_the_sample_is_reached(release):
    rollout = rollouts.rollout_start(
        release=release, stages=STAGES, max_failure_rate=20, min_sample=5
    )
    now = rollout.stage_started_at + timedelta(minutes=1)
    _sessions(release, ["FAILED", "FAILED", "COMPLETED", "DOWNLOADING"])
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=now) == ""  # 3 finished < 5
    _sessions(release, ["COMPLETED", "ROLLED_BACK"])
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=now) == "halted"  # 3/5 = 60 %
    rollout.refresh_from_db()
    assert rollout.status == "halted" and rollout.percent == 10
    assert "60.0" in rollout.halt_reason


def test_at_the_threshold_it_advances(release):
    rollout = rollouts.rollout_start(
        release=release, stages=STAGES, max_failure_rate=20, min_sample=5
    )
    _sessions(release, ["FAILED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"])
    now = rollout.stage_started_at + timedelta(minutes=60)
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=now) == "advanced"


def test_a_scheduled_rollout_starts_when_due(release):
    later = timezone.now() + timedelta(hours=1)
    rollout = rollouts.rollout_start(release=release, stages=STAGES, start_at=later)
    assert rollout.status == "scheduled" and rollout.percent == 0
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=later - timedelta(seconds=1)) == ""
    assert rollouts.rollout_tick(rollout_id=rollout.pk, now=later) == "started"
    rollout.refresh_from_db()
    assert rollout.status == "running" and rollout.percent == 10


def test_selected_devices_of_another_tenant_are_refused(release):
    ours = DeviceFactory(license__policy__product=release.product)
    theirs_tenant = TenantFactory()
    from licensing.tests.factories import UserFactory

    staff = UserFactory(tenant=ours.tenant, is_staff=True)
    theirs = DeviceFactory(license__tenant=theirs_tenant, license__policy__product=release.product)
    release.tenant = ours.tenant
    release.save()
    with pytest.raises(ApiError) as refused:
        rollouts.rollout_start(
            release=release, forced=True, target_devices=[ours.pk, theirs.pk], actor=staff
        )
    assert refused.value.code == "UNKNOWN_DEVICES" and str(theirs.pk) in refused.value.message
    assert not Rollout.objects.exists()


def test_a_yanked_releases_rollout_halts_at_the_next_tick(release):
    from releases.services.releases import release_yank

    rollout = rollouts.rollout_start(release=release, stages=STAGES)
    release_yank(release=release)
    assert rollouts.rollout_tick(rollout_id=rollout.pk) == "halted"
    rollout.refresh_from_db()
    assert rollout.halt_reason == "The release was yanked."
