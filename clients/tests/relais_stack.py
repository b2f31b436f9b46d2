"""A running Relais for the agent's end-to-end tests: uvicorn (config.asgi) and a Celery
worker with beat, sharing one var/ (file cache, signing key, local artifacts, filesystem
broker) or Redis, and a vendor's CI that uploads, publishes and rolls out over HTTP."""

import time
from dataclasses import dataclass
from pathlib import Path

import requests

from licensing.services import api_token_create
from licensing.tests.factories import UserFactory


def stack_env(var: Path) -> dict[str, str]:
    from django.conf import settings

    for folder in ("queue", "processed", "control"):
        (var / "celery" / folder).mkdir(parents=True, exist_ok=True)
    env = {
        "RELAIS_VAR_DIR": str(var),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "RELAIS_ROLLOUT_TICK_SECONDS": "0.5",
        "RELAIS_ROLLOUT_HOLD_UNIT_SECONDS": "1",
        "RELAIS_CATALOGUE_POLL_SECONDS": "0.1",
        "RELAIS_THROTTLE_NODE": "100000/min",
    }
    if settings.REDIS_URL:  # the broker the worker reads (conftest's start_worker)
        base, _, number = settings.REDIS_URL.rpartition("/")
        broker = f"{base}/{(int(number) if number.isdigit() else 0) ^ 1}"
        env["CELERY_BROKER_URL"] = env["CELERY_RESULT_BACKEND"] = broker
    return env


@dataclass
class Vendor:
    """The vendor's CI over the management API."""

    url: str
    session: requests.Session

    @classmethod
    def of(cls, url: str) -> "Vendor":
        session = requests.Session()
        token = api_token_create(user=UserFactory(is_superuser=True)).token
        session.headers["Authorization"] = f"Bearer {token}"
        return cls(url, session)

    def release(self, product, version: str, content: bytes, *, publish=True) -> str:
        manage = f"{self.url}/api/v1/manage"
        release = self.session.post(
            f"{manage}/releases/", json={"product": product.pk, "version": version}
        )
        assert release.status_code == 201, release.text
        release_id = release.json()["id"]
        uploaded = self.session.post(
            f"{manage}/artifacts/",
            data={"release": release_id, "platform": "any"},
            files={"file": (f"app-{version}.bin", content)},
            timeout=60,
        )
        assert uploaded.status_code == 201, uploaded.text
        if publish:
            published = self.session.post(f"{manage}/releases/{release_id}/publish/")
            assert published.ok, published.text
        return release_id

    def publish(self, release_id: str) -> None:
        published = self.session.post(f"{self.url}/api/v1/manage/releases/{release_id}/publish/")
        assert published.ok, published.text

    def rollout(self, release_id: str, **fields) -> str:
        body = {"release": release_id, **fields}
        started = self.session.post(f"{self.url}/api/v1/manage/rollouts/", json=body)
        assert started.status_code == 201, started.text
        return started.json()["id"]


def wait_for(condition, *, seconds: float = 60, process=None, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"condition not met in {seconds} s\n{log.read_text() if log else ''}")
