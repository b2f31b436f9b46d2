"""The reference agent (clients/python, installed from requirements-dev.txt as
`-e clients/python`) against a running Relais: uvicorn serving config.asgi and a Celery
worker with beat, on the test database. The agents are library objects in this process
talking HTTP to the server, each with its own state directory and installed file."""

import hashlib
import json
import os

import pytest
import requests
from relais_agent import Agent, AgentConfig

from devices.models import Device
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.cohorts import in_cohort
from releases.models import Rollout, UpdateSession
from telemetry.models import TelemetryReport

from .relais_stack import Vendor, stack_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

OLD = os.urandom(300_000)
NEW = OLD[:100_000] + b"version 1.1.0 " * 50 + OLD[100_000:]


@pytest.fixture
def relais(asgi_server, start_worker, tmp_path):
    env = stack_env(tmp_path / "relais")
    url = asgi_server(**env)
    process, log = start_worker(**env)
    return url, process, log


@pytest.fixture
def license():
    return LicenseFactory(policy__product=ProductFactory(), max_devices=None)


def make_agent(url, license, tmp_path, name, **options) -> Agent:
    target = tmp_path / name / "app.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(options.pop("installed", OLD))
    fields = {
        "server": url,
        "license_key": license.key,
        "state_dir": tmp_path / name / "state",
        "hardware_id": f"hw-{name}",
        "machine_name": name,
        "os_version": "Debian 12",
        "product": license.product.slug,
        "version": "1.0.0",
        "target": target,
        "interval": 1,
    }
    config = AgentConfig(**{**fields, **options})
    agent = Agent(config)
    agent.start()
    return agent


def session_of(agent, version="1.1.0"):
    return UpdateSession.objects.get(device_id=agent.state.device_id, to_version=version)


class CutAfter:
    """A network that breaks: the body of the next download stops after `limit` bytes (or
    has a byte flipped at `flip`); records the headers each download asked with."""

    def __init__(self, agent, *, limit=None, flip=None):
        self.limit, self.flip, self.headers = limit, flip, []
        self.original = agent.client.session.get
        agent.client.session.get = self.get

    def get(self, url, **kwargs):
        self.headers.append(dict(kwargs.get("headers") or {}))
        response = self.original(url, **kwargs)
        chunks = response.iter_content

        def iter_content(size=1):
            seen = 0
            for chunk in chunks(size):
                if self.flip is not None and seen <= self.flip < seen + len(chunk):
                    at = self.flip - seen
                    chunk = chunk[:at] + bytes([chunk[at] ^ 0xFF]) + chunk[at + 1 :]
                seen += len(chunk)
                if self.limit is not None and seen > self.limit:
                    yield chunk[: len(chunk) - (seen - self.limit)]
                    raise requests.ConnectionError("connection reset by peer")
                yield chunk

        response.iter_content = iter_content
        return response


def test_a_fleet_updates_through_a_10_then_100_percent_rollout(relais, license, tmp_path):
    url, process, log = relais
    vendor = Vendor.of(url)
    agents = [make_agent(url, license, tmp_path, f"node{i}") for i in range(12)]
    release_id = vendor.release(license.product, "1.1.0", NEW, publish=True)
    # Published under a rollout: 10 % for 3 s, then everyone.
    stages = [{"percent": 10, "holdMinutes": 3}, {"percent": 100, "holdMinutes": 0}]
    rollout_id = vendor.rollout(release_id, stages=stages, min_sample=100)
    updated_at = {}

    def round_done():
        for agent in agents:
            if agent.state.version == "1.0.0" and agent.check_once().outcome == "UPDATED":
                # The stage after the update: a server is never ahead of the database.
                updated_at[agent.state.device_id] = Rollout.objects.get(pk=rollout_id).percent
        return len(updated_at) == len(agents)

    wait_for(round_done, seconds=90, process=process, log=log)
    for device_id, percent in updated_at.items():
        # Outside the 10 % cohort, a device was offered the release only at 100 %.
        assert percent == 100 or in_cohort(release_id, device_id, 10)
    for agent in agents:
        assert agent.config.target.read_bytes() == NEW
        assert agent.config.target.with_name("app.bin.previous").read_bytes() == OLD
    sessions = UpdateSession.objects.filter(release_id=release_id)
    assert sorted(sessions.values_list("status", flat=True)) == ["COMPLETED"] * 12
    assert set(Device.objects.filter(license=license).values_list("app_version", flat=True)) == {
        "1.1.0"
    }
    wait_for(lambda: Rollout.objects.get(pk=rollout_id).status == "completed", process=process)


def test_an_interrupted_download_resumes_with_a_range(relais, license, tmp_path):
    url, _, _ = relais
    agent = make_agent(url, license, tmp_path, "resume")
    Vendor.of(url).release(license.product, "1.1.0", NEW)
    cut = CutAfter(agent, limit=120_000)
    first = agent.check_once()
    assert first.outcome == "INTERRUPTED" and first.code == "DOWNLOAD_INTERRUPTED"
    part = next((agent.config.state_dir / "staging").glob("*.part"))
    kept = part.stat().st_size
    assert kept == 120_000
    assert session_of(agent).status == "DOWNLOADING"
    cut.limit = None
    second = agent.check_once()
    assert second.outcome == "UPDATED", second
    assert cut.headers[-1]["Range"] == f"bytes={kept}-"
    assert agent.config.target.read_bytes() == NEW
    assert session_of(agent).status == "COMPLETED"


def test_a_corrupted_download_is_refused_and_reported_failed(relais, license, tmp_path):
    url, _, _ = relais
    agent = make_agent(url, license, tmp_path, "corrupt")
    Vendor.of(url).release(license.product, "1.1.0", NEW)
    CutAfter(agent, flip=12_345)
    result = agent.check_once()
    assert result.outcome == "FAILED" and result.code == "CHECKSUM_MISMATCH"
    assert agent.config.target.read_bytes() == OLD and agent.state.version == "1.0.0"
    session = session_of(agent)
    assert session.status == "FAILED" and "sha256" in session.error
    assert not list((agent.config.state_dir / "staging").iterdir())


def test_failing_health_checks_roll_back_report_and_halt_the_rollout(relais, license, tmp_path):
    url, process, log = relais
    vendor = Vendor.of(url)
    agents = [
        make_agent(
            url, license, tmp_path, f"sick{i}", health_cmd="echo 'port 8080 closed' >&2; exit 3"
        )
        for i in range(4)
    ]
    release_id = vendor.release(license.product, "1.1.0", NEW)
    rollout_id = vendor.rollout(
        release_id,
        stages=[{"percent": 100, "holdMinutes": 600}],
        max_failure_rate=20,
        min_sample=3,
    )
    results = [agent.check_once() for agent in agents]
    assert [r.outcome for r in results] == ["ROLLED_BACK"] * 4
    for agent in agents:
        assert agent.config.target.read_bytes() == OLD  # the previous version is back
        assert agent.state.version == "1.0.0"
        session = session_of(agent)
        assert session.status == "ROLLED_BACK"
        assert "port 8080 closed" in session.error and "rolled back to 1.0.0" in session.error
        assert agent.check_once().outcome in ("SKIPPED", "UP_TO_DATE")  # not installed again
    rollout = wait_for(
        lambda: Rollout.objects.filter(pk=rollout_id, status="halted").first(),
        process=process,
        log=log,
    )
    assert "Failure rate" in rollout.halt_reason


def test_a_tampered_or_replayed_manifest_is_refused(relais, license, tmp_path):
    url, _, _ = relais
    vendor = Vendor.of(url)
    agent = make_agent(url, license, tmp_path, "wary")
    first_id = vendor.release(license.product, "1.1.0", NEW)
    original = agent.client.check
    offers = []

    def tampered(params):
        offer = original(params)
        offers.append(dict(offer))
        manifest = json.loads(offer["manifest"])
        manifest["sha256"] = hashlib.sha256(b"evil").hexdigest()
        offer["manifest"] = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
        offer["checksum"] = manifest["sha256"]
        return offer

    agent.client.check = tampered
    result = agent.check_once()
    assert (result.outcome, result.code) == ("REFUSED", "BAD_SIGNATURE")
    assert not UpdateSession.objects.filter(device_id=agent.state.device_id).exists()
    # The genuine offer, kept by an attacker, is replayed after a newer catalogue was seen.
    stale = offers[0]
    vendor.release(license.product, "1.1.1", NEW + b"!", publish=False)  # raises the serial
    agent.client.check = original
    assert agent.check_once().outcome == "UPDATED"  # 1.1.0 under the new serial
    agent.state.version = "1.0.0"
    agent.client.check = lambda params: stale
    replayed = agent.check_once()
    assert (replayed.outcome, replayed.code) == ("REFUSED", "ROLLBACK")
    assert str(first_id) == stale["releaseId"]


def test_telemetry_waits_on_disk_while_the_server_is_unreachable(relais, license, tmp_path):
    url, _, _ = relais
    agent = make_agent(url, license, tmp_path, "offline")
    offline = Agent(
        AgentConfig(**{**agent.config.__dict__, "server": "http://127.0.0.1:9", "timeout": 2})
    )
    for value in range(5):
        offline.queue_telemetry({"cpu": float(value)})
    assert offline.cycle().outcome == "OFFLINE"
    assert offline.flush_telemetry() == 0
    # Restarted once the network is back: the queue was on disk.
    back = Agent(agent.config)
    assert len(back.state.telemetry) == 6  # five, and the failed cycle's own sample
    assert back.flush_telemetry() == 6
    assert back.state.telemetry == []
    reports = TelemetryReport.objects.filter(device_id=agent.state.device_id)
    assert reports.count() == 6
    assert sorted(r.metrics.get("cpu") for r in reports if "memory" not in r.metrics) == [
        0.0,
        1.0,
        2.0,
        3.0,
        4.0,
    ]


def test_the_state_file_is_private(relais, license, tmp_path):
    url, _, _ = relais
    agent = make_agent(url, license, tmp_path, "private")
    state = agent.config.state_dir / "state.json"
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert oct(agent.config.state_dir.stat().st_mode & 0o777) == "0o700"
    assert json.loads(state.read_text())["device_token"] == agent.client.device_token
    again = Agent(agent.config)
    again.start()  # registered already: no second registration, same token
    assert again.client.device_token == agent.client.device_token


def test_a_delta_is_applied_and_verified_and_a_broken_one_falls_back(relais, license, tmp_path):
    from releases.models import Artifact

    url, process, log = relais
    vendor = Vendor.of(url)
    patched = make_agent(url, license, tmp_path, "patched", version="0.9.0", installed=b"")
    drifted = make_agent(url, license, tmp_path, "drifted", version="0.9.0", installed=b"")
    vendor.release(license.product, "1.0.0", OLD)
    for agent in (patched, drifted):  # the whole file: no delta from 0.9.0
        result = agent.check_once()
        assert (result.outcome, result.via_delta) == ("UPDATED", False)
    new_id = vendor.release(license.product, "1.1.0", NEW)
    # The worker makes the delta from 1.0.0 after the publication.
    artifact = wait_for(
        lambda: Artifact.objects.filter(release_id=new_id).exclude(deltas=[]).first(),
        process=process,
        log=log,
    )
    entry = artifact.deltas[0]
    assert entry["fromVersion"] == "1.0.0" and entry["size"] < len(NEW) // 20
    offer = wait_for(lambda: "delta" in (o := patched.client.check(patched.check_params())) and o)
    assert offer["delta"]["fullSha256"] == hashlib.sha256(NEW).hexdigest()

    result = patched.check_once()
    assert (result.outcome, result.via_delta) == ("UPDATED", True)
    assert patched.config.target.read_bytes() == NEW
    assert session_of(patched).status == "COMPLETED"

    # A base that is not the released 1.0.0 (modified on the node): the patched result does
    # not match the signed sha256, so the full file is downloaded instead.
    base = drifted.current_artifact
    base.write_bytes(b"local change" + base.read_bytes()[12:])
    cut = CutAfter(drifted)
    result = drifted.check_once()
    assert (result.outcome, result.via_delta) == ("UPDATED", False)
    assert drifted.config.target.read_bytes() == NEW
    assert len(cut.headers) == 2  # the delta, then the full file
    assert session_of(drifted).status == "COMPLETED"
