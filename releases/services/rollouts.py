"""Writes of rollouts: start (or force), pause, resume, advance, halt, and the beat's tick.

Every change locks the rollout row (`SELECT … FOR UPDATE`) and writes it with a
conditional UPDATE on the state it read, so two ticks, or a tick and an admin, never apply
a stage twice, and the percent only grows (a halt stops offers, it does not lower it).
Each change points the release at its rollout, bumps the catalogue after commit and
records one event (`update.forced` in addition when a forced rollout starts).
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from devices.models import Device

from ..catalogue import catalogue_invalidate
from ..models import Release, Rollout, UpdateSession

R = Rollout.Status
S = UpdateSession.Status
FINISHED = (S.COMPLETED, S.FAILED, S.ROLLED_BACK)
FAILURES = (S.FAILED, S.ROLLED_BACK)


def stages_parse(stages) -> list[dict]:
    """`[{percent, holdMinutes}]`, percents whole and strictly increasing within 1–100,
    holds whole minutes ≥ 0; or ApiError INVALID_STAGES naming what is wrong."""

    def refuse(message):
        raise ApiError("INVALID_STAGES", message, 400)

    if not isinstance(stages, list) or not stages:
        refuse(_("Give at least one stage: [{percent, holdMinutes}, …]."))
    clean, previous = [], 0
    for stage in stages:
        if not isinstance(stage, dict) or set(stage) - {"percent", "holdMinutes"}:
            refuse(_("Each stage is {percent, holdMinutes}."))
        percent, hold = stage.get("percent"), stage.get("holdMinutes", 0)
        if isinstance(percent, bool) or not isinstance(percent, int):
            refuse(_("A stage's percent must be a whole number."))
        if not 1 <= percent <= 100:
            refuse(_("Percents must be between 1 and 100 (got %(p)s).") % {"p": percent})
        if percent <= previous:
            refuse(
                _("Percents must strictly increase (%(a)s then %(b)s).")
                % {"a": previous, "b": percent}
            )
        if isinstance(hold, bool) or not isinstance(hold, int) or hold < 0:
            refuse(_("A stage's holdMinutes must be a whole number, 0 or more."))
        clean.append({"percent": percent, "holdMinutes": hold})
        previous = percent
    return clean


def stages_from_percents(percents: str, hold_minutes: int) -> list[dict]:
    """ "10,50,100" and a hold → stages (the CLI and the admin's short form)."""
    try:
        values = [int(p) for p in str(percents).replace(" ", "").split(",") if p]
    except ValueError as exc:
        raise ApiError("INVALID_STAGES", _("Percents are whole numbers: 10,50,100."), 400) from exc
    return stages_parse([{"percent": p, "holdMinutes": hold_minutes} for p in values])


def event_tenant(rollout: Rollout):
    """Whose event: the release's tenant, else the one tenant targeted, else the platform's."""
    if rollout.release.tenant_id:
        return rollout.release.tenant
    if len(rollout.target_tenant_ids) == 1 and not rollout.target_device_ids:
        from licensing.models import Tenant

        return Tenant.objects.filter(pk=rollout.target_tenant_ids[0]).first()
    return None


def _payload(rollout: Rollout) -> dict:
    release = rollout.release
    return {
        "rolloutId": rollout.pk,
        "releaseId": release.pk,
        "product": release.product.slug,
        "version": release.version,
        "status": rollout.status,
        "percent": rollout.percent,
        "stage": rollout.stage,
        "forced": rollout.forced,
    }


def _record(event_type: str, rollout: Rollout, actor, **extra) -> None:
    payload = _payload(rollout) | extra
    events.publish(event_type, tenant=event_tenant(rollout), payload=payload, actor=actor)
    catalogue_invalidate(rollout.release.product_id)


def _devices(release: Release, device_ids, actor) -> list[str]:
    """The selected devices, as ids, if every one is a device of the release's product the
    actor may see (and of the release's tenant for a restricted release)."""
    from core.tenancy import scope_for_user

    wanted = {str(d.pk if isinstance(d, Device) else d) for d in device_ids}
    if not wanted:
        return []
    found = Device.objects.filter(product_id=release.product_id, pk__in=wanted)
    if release.tenant_id:
        found = found.filter(tenant_id=release.tenant_id)
    if actor is not None and getattr(actor, "is_authenticated", False):
        found = scope_for_user(found, actor)
    known = {str(pk) for pk in found.values_list("pk", flat=True)}
    missing = sorted(wanted - known)
    if missing:
        raise ApiError(
            "UNKNOWN_DEVICES",
            _("No such device of %(product)s among yours: %(ids)s")
            % {"product": release.product, "ids": ", ".join(missing[:5])},
            400,
            devices=missing,
        )
    return sorted(known)


def _tenants(release: Release, tenants, actor) -> list[str]:
    from core.tenancy import user_tenant_id

    ids = sorted({str(getattr(t, "pk", t)) for t in tenants})
    allowed = {str(release.tenant_id)} if release.tenant_id else None
    own = user_tenant_id(actor) if actor is not None else None
    if own is not None:
        allowed = {str(own)}
    if allowed is not None and set(ids) - allowed:
        raise ApiError("UNKNOWN_TENANTS", _("These tenants are not yours to target."), 400)
    return ids


@transaction.atomic
def rollout_start(
    *,
    actor=None,
    release: Release,
    stages=None,
    max_failure_rate: float = 10.0,
    min_sample: int = 20,
    forced: bool = False,
    overrides_windows: bool = True,
    target_tenants=(),
    target_devices=(),
    start_at=None,
) -> Rollout:
    """Start rolling `release` out (now, or at `start_at`): stages default to one stage at
    100 % (immediate). A forced rollout overrides maintenance windows unless told not to.
    Refused for a release that is not published, or that already has
    an active rollout."""
    release = Release.objects.select_for_update().select_related("product").get(pk=release.pk)
    if release.status != Release.Status.PUBLISHED:
        raise ApiError(
            "RELEASE_NOT_PUBLISHED",
            _("Only a published release can be rolled out (%(release)s is %(status)s).")
            % {"release": release, "status": release.get_status_display()},
            409,
        )
    stages = stages_parse(stages if stages is not None else [{"percent": 100, "holdMinutes": 0}])
    if not 0 <= max_failure_rate <= 100:
        raise ApiError("INVALID_THRESHOLD", _("The failure rate is a percent, 0 to 100."), 400)
    if Rollout.objects.filter(release=release, status__in=Rollout.ACTIVE).exists():
        raise _already_active(release)
    now = timezone.now()
    start_at = start_at or now
    rollout = Rollout(
        release=release,
        stages=stages,
        max_failure_rate=max_failure_rate,
        min_sample=min_sample,
        forced=forced,
        overrides_windows=overrides_windows,
        target_tenant_ids=_tenants(release, target_tenants, actor),
        target_device_ids=_devices(release, target_devices, actor),
        start_at=start_at,
    )
    rollout.full_clean(validate_constraints=False)
    if start_at <= now:
        rollout.status, rollout.percent, rollout.stage_started_at = (
            R.RUNNING,
            stages[0]["percent"],
            now,
        )
    try:
        with transaction.atomic():  # a concurrent start for the same release loses here
            rollout.save()
    except IntegrityError as exc:
        raise _already_active(release) from exc
    Release.objects.filter(pk=release.pk).update(current_rollout=rollout)
    rollout.release = release
    started = rollout.status == R.RUNNING
    _record("rollout.started" if started else "rollout.scheduled", rollout, actor)
    if forced:
        _record(
            "update.forced",
            rollout,
            actor,
            targetTenants=rollout.target_tenant_ids,
            targetDevices=len(rollout.target_device_ids),
        )
        # A forced rollout that starts is pushed (`force-update` over Socket.IO) by realtime,
        # which subscribes to `update.forced`: releases does not import realtime.
    return rollout


def _already_active(release) -> ApiError:
    return ApiError(
        "ROLLOUT_ACTIVE",
        _("%(release)s already has an active rollout: halt or finish it first.")
        % {"release": release},
        409,
    )


def _locked(rollout: Rollout) -> Rollout:
    return Rollout.objects.select_for_update().select_related("release__product").get(pk=rollout.pk)


def _apply(rollout: Rollout, expected: dict, **changes) -> bool:
    """Write `changes` only if the row still holds `expected`: the second of two racing
    writers changes nothing."""
    done = Rollout.objects.filter(pk=rollout.pk, **expected).update(**changes)
    if done:
        for name, value in changes.items():
            setattr(rollout, name, value)
    return bool(done)


def _refuse(rollout: Rollout, verb: str) -> ApiError:
    return ApiError(
        "INVALID_TRANSITION",
        _("A %(status)s rollout cannot be %(verb)s.")
        % {"status": rollout.get_status_display().lower(), "verb": verb},
        409,
    )


@transaction.atomic
def rollout_pause(*, rollout: Rollout, actor=None) -> Rollout:
    """Stop advancing; the current cohort keeps being offered."""
    rollout = _locked(rollout)
    if rollout.status == R.PAUSED:
        return rollout
    if rollout.status != R.RUNNING:
        raise _refuse(rollout, _("paused"))
    if _apply(rollout, {"status": R.RUNNING}, status=R.PAUSED):
        _record("rollout.paused", rollout, actor)
    return rollout


@transaction.atomic
def rollout_resume(*, rollout: Rollout, actor=None) -> Rollout:
    """Run again; the current stage's hold starts over."""
    rollout = _locked(rollout)
    if rollout.status == R.RUNNING:
        return rollout
    if rollout.status != R.PAUSED:
        raise _refuse(rollout, _("resumed"))
    if _apply(rollout, {"status": R.PAUSED}, status=R.RUNNING, stage_started_at=timezone.now()):
        _record("rollout.resumed", rollout, actor)
    return rollout


@transaction.atomic
def rollout_halt(*, rollout: Rollout, actor=None, reason: str = "") -> Rollout:
    """Stop: nobody new is offered the release (see cohorts.py)."""
    rollout = _locked(rollout)
    if rollout.status == R.HALTED:
        return rollout
    if rollout.status not in Rollout.ACTIVE:
        raise _refuse(rollout, _("halted"))
    reason = reason or _("Halted by %(who)s.") % {"who": events.actor_label(actor)}
    now = timezone.now()
    if _apply(
        rollout,
        {"status": rollout.status},
        status=R.HALTED,
        ended_at=now,
        halt_reason=reason,
    ):
        _record("rollout.halted", rollout, actor, reason=reason)
    return rollout


def _next(rollout: Rollout, now) -> dict:
    """The changes that move `rollout` one step on: the next stage, or completion."""
    if rollout.stage + 1 < len(rollout.stages):
        stage = rollout.stage + 1
        return {
            "stage": stage,
            "percent": rollout.stages[stage]["percent"],
            "stage_started_at": now,
        }
    return {"status": R.COMPLETED, "ended_at": now}


def _step(rollout: Rollout, actor, now) -> bool:
    expected = {"status": rollout.status, "stage": rollout.stage, "percent": rollout.percent}
    changes = _next(rollout, now)
    if not _apply(rollout, expected, **changes):
        return False
    _record("rollout.completed" if "ended_at" in changes else "rollout.advanced", rollout, actor)
    return True


def _begin(rollout: Rollout, actor, now) -> bool:
    expected = {"status": R.SCHEDULED}
    first = rollout.stages[0]["percent"]
    if _apply(rollout, expected, status=R.RUNNING, percent=first, stage_started_at=now):
        _record("rollout.started", rollout, actor)
        return True
    return False


@transaction.atomic
def rollout_advance(*, rollout: Rollout, actor=None) -> Rollout:
    """Advance now, whatever the hold: a scheduled rollout starts, a running or paused one
    goes to its next stage (or completes after its last)."""
    rollout = _locked(rollout)
    now = timezone.now()
    if rollout.status == R.SCHEDULED:
        _begin(rollout, actor, now)
    elif rollout.status in (R.RUNNING, R.PAUSED):
        _step(rollout, actor, now)
    else:
        raise _refuse(rollout, _("advanced"))
    return rollout


def failure_stats(release_id) -> tuple[int, int]:
    """(finished, failed) update sessions of a release: one aggregate on the
    (release, status) index, whatever the fleet."""
    row = UpdateSession.objects.filter(release_id=release_id, status__in=FINISHED).aggregate(
        finished=Count("pk"), failed=Count("pk", filter=Q(status__in=FAILURES))
    )
    return row["finished"], row["failed"]


def hold_elapsed(rollout: Rollout, now) -> bool:
    minutes = rollout.stages[rollout.stage]["holdMinutes"]
    unit = settings.RELAIS_ROLLOUT_HOLD_UNIT_SECONDS
    assert rollout.stage_started_at is not None  # set when the rollout began
    return now >= rollout.stage_started_at + timedelta(seconds=minutes * unit)


@transaction.atomic
def rollout_tick(*, rollout_id, now=None) -> str:
    """One beat for one rollout: start it when due; halt it when its failure rate passed
    the threshold (once the sample is large enough); else advance it when its stage's hold
    is over. Returns what it did: "started", "halted", "advanced", "completed" or ""."""
    now = now or timezone.now()
    rollouts = Rollout.objects.select_for_update().select_related("release__product")
    rollout = rollouts.filter(pk=rollout_id).first()
    if rollout is None:
        return ""
    if rollout.status == R.SCHEDULED:
        return "started" if rollout.start_at <= now and _begin(rollout, None, now) else ""
    if rollout.status != R.RUNNING:
        return ""
    if rollout.release.status != Release.Status.PUBLISHED:  # yanked meanwhile
        reason = _("The release was yanked.")
        if _apply(
            rollout, {"status": R.RUNNING}, status=R.HALTED, ended_at=now, halt_reason=reason
        ):
            _record("rollout.halted", rollout, None, reason=reason)
            return "halted"
        return ""
    finished, failed = failure_stats(rollout.release_id)
    if finished and finished >= rollout.min_sample:
        rate = 100.0 * failed / finished
        if rate > rollout.max_failure_rate:
            reason = _(
                "Failure rate %(rate).1f %% (%(failed)d of %(finished)d) over %(max)s %%."
            ) % {
                "rate": rate,
                "failed": failed,
                "finished": finished,
                "max": rollout.max_failure_rate,
            }
            expected = {"status": R.RUNNING, "stage": rollout.stage}
            if _apply(rollout, expected, status=R.HALTED, ended_at=now, halt_reason=reason):
                _record("rollout.halted", rollout, None, reason=reason)
                return "halted"
            return ""
    if not hold_elapsed(rollout, now):
        return ""
    if _step(rollout, None, now):
        return rollout.status == R.COMPLETED and "completed" or "advanced"
    return ""


def rollouts_due() -> list:
    """Ids of the rollouts a tick should look at: running ones and scheduled ones due."""
    now = timezone.now()
    due = Q(status=R.RUNNING) | Q(status=R.SCHEDULED, start_at__lte=now)
    return list(Rollout.objects.filter(due).values_list("pk", flat=True))
