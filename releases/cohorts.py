"""Who a rollout offers its release to: pure functions over the state the catalogue carries,
so the update check decides without a query.

A device's bucket is sha256("<release id>:<device id>") as an integer, modulo 10,000; it is
in the cohort when the bucket is below `percent` × 100. The bucket does not depend on the
percent, so a device in at 10 % is in at every higher percent (never omaha's `id % n`,
whose 30 % reaches 33 % and whose cohorts are not nested), and it depends on the release,
so the same devices are not always the first.

Inside the rollout's audience (its target tenants and devices; everyone when it has none),
what each status offers (see the README, "Rollouts"):
- scheduled: nobody yet;
- running, paused: the cohort at the current percent (paused only stops advancing);
- completed: the cohort at the last stage's percent (100 % unless the stages stop lower);
- halted: nobody new. Devices that were offered it keep their session: they can report
  their status and download the artifact, which the rollout does not gate.
Outside the audience, a plain rollout (a pilot) offers nothing, while a forced one leaves
the release offered as it was: forcing the update on some devices takes it from nobody
else. A halt stops every offer.
"""

import hashlib
from dataclasses import dataclass

BUCKETS = 10_000
OFFERING = frozenset({"running", "paused", "completed"})
# What the catalogue's per-audience shelves can decide without the device (see `gate`).
OPEN, CLOSED, GATED = "open", "closed", "gated"


@dataclass(frozen=True)
class RolloutState:
    """A release's current rollout, as the catalogue carries it."""

    id: str
    status: str
    percent: int
    forced: bool = False
    overrides_windows: bool = True  # forced: offered outside maintenance windows too
    tenant_ids: frozenset[str] = frozenset()
    device_ids: frozenset[str] = frozenset()


def bucket(release_id, subject_id) -> int:
    digest = hashlib.sha256(f"{release_id}:{subject_id}".encode()).hexdigest()
    return int(digest, 16) % BUCKETS


def in_cohort(release_id, subject_id, percent: int) -> bool:
    return bucket(release_id, subject_id) < percent * 100


def in_audience(state: RolloutState, *, device_id, tenant_id) -> bool:
    """Targets: none means everybody; otherwise the device is selected or its tenant is."""
    if not state.tenant_ids and not state.device_ids:
        return True
    if device_id is not None and str(device_id) in state.device_ids:
        return True
    return tenant_id is not None and str(tenant_id) in state.tenant_ids


def reached(state: RolloutState, release_id, *, device_id, tenant_id) -> bool:
    """Offered by the rollout at its current percent, whatever the status: a device reached
    before a halt may still open its update session. Callers without a device (the
    CyberSensei dialect checks per tenant) are bucketed by their tenant."""
    if not in_audience(state, device_id=device_id, tenant_id=tenant_id):
        return state.forced
    subject = device_id if device_id is not None else tenant_id
    if subject is None:  # anonymous (open products): only a release offered to everyone
        return state.percent >= 100
    return in_cohort(release_id, subject, state.percent)


def in_rollout(state: RolloutState | None, release_id, *, device_id, tenant_id) -> bool:
    """Is the release offered to this device now? A release without a rollout is offered
    to everyone, as before rollouts existed."""
    if state is None:
        return True
    if state.status == "halted":
        return False
    if not in_audience(state, device_id=device_id, tenant_id=tenant_id):
        return state.forced
    if state.status not in OFFERING:
        return False
    return reached(state, release_id, device_id=device_id, tenant_id=tenant_id)


def staged(state: RolloutState | None) -> bool:
    """Whether an anonymous updater that stages on its own side (electron-updater's
    `stagingPercentage`) is shown the release, with the rollout's percent to apply: the
    rollout offers it to everybody (no targets) and is running, paused or completed."""
    return (
        state is not None
        and state.status in OFFERING
        and not state.tenant_ids
        and not state.device_ids
        and state.percent > 0
    )


def forced_for(state: RolloutState | None, *, device_id, tenant_id) -> bool:
    """Is the offer mandatory for this device because a forced rollout targets it?"""
    return (
        state is not None
        and state.forced
        and in_audience(state, device_id=device_id, tenant_id=tenant_id)
    )


def gate(state: RolloutState | None) -> str:
    """How a release under `state` can be shelved for a whole audience: OPEN (offered as
    if it had no rollout), CLOSED (offered to nobody: halted), or GATED (decided per
    device by `in_rollout` at check time). A rollout completed at 100 % without targets
    is OPEN, so releases rolled out long ago cost nothing per check."""
    if state is None:
        return OPEN
    if state.status == "halted":
        return CLOSED
    finished = state.status == "completed" and state.percent >= 100
    return OPEN if finished and not state.tenant_ids and not state.device_ids else GATED
