"""docker/'s monitoring profile: Prometheus scrapes the services the compose file runs, on
their ports, with the token /metrics wants; Grafana's dashboard asks only for metrics Relais
exposes, from the data source Grafana is provisioned with."""

import json
import re

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from conftest import ROOT
from ops.metrics import metrics_exposition

DOCKER = ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yml").read_text())
PROMETHEUS = yaml.safe_load((DOCKER / "prometheus/prometheus.yml").read_text())
DASHBOARD = json.loads((DOCKER / "grafana/dashboards/relais.json").read_text())
TOKEN = "scrape-token-for-tests"  # noqa: S105


def _default(value: str) -> str:
    """A compose value with each `${NAME:-default}` replaced by its default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))


def _jobs() -> dict:
    return {job["job_name"]: job for job in PROMETHEUS["scrape_configs"]}


def _mounted(service: str, target: str):
    for volume in COMPOSE["services"][service]["volumes"]:
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == target:
            return (DOCKER / source).resolve()
    raise AssertionError(f"{target} is not mounted in {service}")


def test_prometheus_runs_in_the_monitoring_profile_with_this_configuration():
    service = COMPOSE["services"]["prometheus"]
    assert service["profiles"] == ["monitoring"]
    assert _mounted("prometheus", "/etc/prometheus/prometheus.yml") == (
        DOCKER / "prometheus/prometheus.yml"
    )
    assert "--config.file=/etc/prometheus/prometheus.yml" in service["command"][0]


def test_prometheus_scrapes_each_service_on_its_port():
    app = COMPOSE["x-app"]["environment"]
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    gunicorn = (DOCKER / "gunicorn.conf.py").read_text()
    assert '"0.0.0.0:8000"' in gunicorn
    assert '"${REALTIME_PORT:-8001}"' in entrypoint
    expected = {
        "relais-web": "web:8000",
        "relais-realtime": "realtime:8001",
        "relais-worker": f"worker:{_default(app['RELAIS_WORKER_METRICS_PORT'])}",
    }
    jobs = _jobs()
    for job, target in expected.items():
        assert jobs[job]["static_configs"][0]["targets"] == [target]
        assert target.split(":")[0] in COMPOSE["services"]


def test_the_django_jobs_send_the_token_the_service_writes():
    command = COMPOSE["services"]["prometheus"]["command"][0]
    for job in ("relais-web", "relais-realtime"):
        authorization = _jobs()[job]["authorization"]
        assert authorization["type"] == "Bearer"
        assert f'"$$RELAIS_METRICS_TOKEN" > {authorization["credentials_file"]}' in command
    assert COMPOSE["services"]["prometheus"]["environment"]["RELAIS_METRICS_TOKEN"]


@pytest.mark.django_db
def test_django_answers_the_scrape_under_the_compose_host_names(client, settings):
    settings.RELAIS_METRICS_TOKEN = TOKEN
    settings.ALLOWED_HOSTS = _default(
        COMPOSE["x-app"]["environment"]["DJANGO_ALLOWED_HOSTS"]
    ).split(",")
    for host in ("web:8000", "realtime:8001"):
        response = client.get("/metrics", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, host


@pytest.mark.django_db
def test_the_dashboard_asks_only_for_metrics_relais_exposes():
    families = {
        family.name
        for family in text_string_to_metric_families(metrics_exposition().decode())
        if family.name.startswith("relais_")
    }
    suffixes = ("", "_total", "_bucket", "_count", "_sum")
    exposed = {name + suffix for name in families for suffix in suffixes}
    asked = {
        name
        for panel in DASHBOARD["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\brelais_[a-z_]+", target["expr"])
    }
    assert asked and asked <= exposed, asked - exposed
    # Each subject of issue 25's list has a panel.
    for metric in (
        "relais_http_requests_total",
        "relais_update_checks_total",
        "relais_rollout_percent",
        "relais_rollout_failure_rate_percent",
        "relais_webhook_deliveries",
        "relais_telemetry_rows_ingested_total",
        "relais_socketio_connections",
        "relais_celery_queue_length",
        "relais_celery_tasks_total",
    ):
        assert metric in asked


def test_grafana_is_provisioned_with_the_dashboard_and_its_data_source():
    provisioning = _mounted("grafana", "/etc/grafana/provisioning")
    source = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    assert {p["datasource"]["uid"] for p in DASHBOARD["panels"]} == {uid}
    provider = yaml.safe_load((provisioning / "dashboards/relais.yml").read_text())
    folder = provider["providers"][0]["options"]["path"]
    assert _mounted("grafana", folder) == DOCKER / "grafana/dashboards"
