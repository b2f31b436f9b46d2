"""The beat's tick: its queries per rollout do not grow with the fleet, and two ticks (or a
tick and an admin) racing on PostgreSQL apply a stage once."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Event
from devices.models import Device
from licensing.tests.factories import LicenseFactory, ProductFactory
from licensing.tests.test_concurrency import _run_concurrently
from releases.models import Rollout, UpdateSession
from releases.services import rollouts
from releases.services.sessions import session_id
from releases.tasks import rollouts_tick_task
from releases.tests.factories import published_release

STAGES = [{"percent": 10, "holdMinutes": 60}, {"percent": 50, "holdMinutes": 60}]


def _fleet(release, n):
    """n devices, a tenth of them with a finished session (bulk: 10,000 in a second)."""
    license = LicenseFactory(policy__product=release.product, max_devices=None)
    devices = Device.objects.bulk_create(
        Device(
            tenant_id=license.tenant_id,
            license=license,
            product_id=release.product_id,
            hardware_id=f"hw-{uuid.uuid4().hex}",
            app_version="1.0.0",
        )
        for _ in range(n)
    )
    UpdateSession.objects.bulk_create(
        UpdateSession(
            id=session_id(d.pk, release.pk),
            device=d,
            release=release,
            to_version=release.version,
            status="FAILED" if i % 20 == 19 else "COMPLETED",
        )
        for i, d in enumerate(devices[: max(1, n // 10)])
    )


def _tick_queries(n) -> tuple[int, str]:
    release = published_release(product=ProductFactory(), version="1.1.0")
    _fleet(release, n)
    rollout = rollouts.rollout_start(release=release, stages=STAGES, min_sample=1)
    later = rollout.stage_started_at + timedelta(hours=1)
    with CaptureQueriesContext(connection) as captured:
        outcome = rollouts.rollout_tick(rollout_id=rollout.pk, now=later)
    return len(captured), outcome


@pytest.mark.django_db
def test_tick_queries_do_not_grow_with_the_fleet():
    small, outcome = _tick_queries(10)
    assert outcome == "advanced"
    large, outcome = _tick_queries(10_000)
    assert outcome == "advanced"
    assert small == large, (small, large)


@pytest.mark.django_db
def test_the_task_ticks_every_due_rollout():
    release = published_release(product=ProductFactory(), version="1.1.0")
    rollout = rollouts.rollout_start(release=release, stages=[{"percent": 10, "holdMinutes": 0}])
    assert rollouts_tick_task() == {str(rollout.pk): "completed"}
    assert rollouts_tick_task() == {}


postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
)


@postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_apply_the_stage_once():
    release = published_release(product=ProductFactory(), version="1.1.0")
    rollout = rollouts.rollout_start(release=release, stages=STAGES)
    later = rollout.stage_started_at + timedelta(minutes=61)
    results = _run_concurrently(8, lambda: rollouts.rollout_tick(rollout_id=rollout.pk, now=later))
    assert sorted(results) == [""] * 7 + ["advanced"]
    rollout.refresh_from_db()
    assert (rollout.stage, rollout.percent) == (1, 50)
    assert Event.objects.filter(type="rollout.advanced").count() == 1


@postgres
@pytest.mark.django_db(transaction=True)
def test_a_tick_racing_a_halt_never_raises_the_percent_after_it():
    release = published_release(product=ProductFactory(), version="1.1.0")
    rollout = rollouts.rollout_start(release=release, stages=STAGES)
    later = rollout.stage_started_at + timedelta(minutes=61)
    calls = [
        lambda: rollouts.rollout_tick(rollout_id=rollout.pk, now=later),
        lambda: rollouts.rollout_halt(rollout=Rollout.objects.get(pk=rollout.pk)).status,
    ] * 4
    order = iter(range(len(calls)))
    _run_concurrently(len(calls), lambda: calls[next(order)]())
    rollout.refresh_from_db()
    assert rollout.status == "halted"
    assert Event.objects.filter(type="rollout.halted").count() == 1
    assert Event.objects.filter(type="rollout.advanced").count() <= 1


@postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_active_rollout():
    from core.exceptions import ApiError

    release = published_release(product=ProductFactory(), version="1.1.0")

    def start():
        try:
            return rollouts.rollout_start(release=release, stages=STAGES).status
        except ApiError as exc:
            return exc.code

    results = _run_concurrently(10, start)
    assert sorted(results) == ["ROLLOUT_ACTIVE"] * 9 + ["running"]
    assert Rollout.objects.filter(release=release).count() == 1
