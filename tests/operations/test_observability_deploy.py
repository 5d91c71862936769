"""The `observability` compose profile: Prometheus scraping what Kopdes exports, alerts and a
Grafana dashboard over series that exist. Checked structurally (no Docker engine here), like
docker-compose.yml in tests/test_deployment.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.access.support import app_client

PROFILE = "observability"


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    return data


@pytest.fixture(scope="module")
def prometheus(repo_root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (repo_root / "deploy" / "prometheus" / "prometheus.yml").read_text()
    )
    return data


@pytest.fixture(scope="module")
def dashboard(repo_root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (repo_root / "deploy" / "grafana" / "dashboards" / "kopdes.json").read_text()
    )
    return data


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path of a service's bind mounts."""
    found = {}
    for volume in service.get("volumes", []):
        host, container, *_ = volume.split(":")
        if host.startswith("./"):
            found[container] = host
    return found


def test_prometheus_and_grafana_start_only_with_the_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["prometheus"]["profiles"] == [PROFILE]
    assert services["grafana"]["profiles"] == [PROFILE]
    for name in ("prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"]
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert {"prometheusdata", "grafanadata"} <= set(compose["volumes"])


def test_every_file_the_profile_mounts_exists(compose: dict[str, Any], repo_root: Path) -> None:
    for name in ("prometheus", "grafana"):
        for host in mounts(compose["services"][name]).values():
            assert (repo_root / host).exists(), f"{name} mounts {host}: no such path"


def test_prometheus_scrapes_the_api_metrics_port_and_every_worker(
    compose: dict[str, Any], prometheus: dict[str, Any]
) -> None:
    api_env = compose["services"]["api"]["environment"]
    metrics_port = api_env["KOPDES_METRICS_PORT"]
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["kopdes-api"]["static_configs"] == [{"targets": [f"api:{metrics_port}"]}]
    # The public port does not serve metrics once they have their own.
    assert metrics_port not in str(compose["services"]["api"].get("ports"))
    # Workers by DNS, so every replica of `--scale worker=N` is scraped; Dramatiq's port.
    (discovery,) = jobs["kopdes-worker"]["dns_sd_configs"]
    assert discovery == {"names": ["worker"], "type": "A", "port": 9191}
    assert "KOPDES_WORKER_METRICS" not in compose["services"]["worker"]["environment"]
    # The rules file Prometheus loads is the one mounted.
    container_paths = mounts(compose["services"]["prometheus"])
    for rule_file in prometheus["rule_files"]:
        assert container_paths[rule_file] == "./deploy/prometheus/alerts.yml"


def test_grafana_provisions_the_datasource_the_dashboard_uses(
    repo_root: Path, compose: dict[str, Any], dashboard: dict[str, Any]
) -> None:
    provisioning = repo_root / "deploy" / "grafana" / "provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert datasource["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "kopdes.yml").read_text())[
        "providers"
    ]
    grafana_mounts = mounts(compose["services"]["grafana"])
    assert grafana_mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource["uid"]


SERIES = re.compile(r"\b(kopdes_[a-z_]+)")


async def exported_series() -> set[str]:
    """The names of every series the API exports (a scrape of an app), samples' suffixes
    included; job durations come from the same code in the workers."""
    async with app_client() as client:
        text = (await client.get("/metrics")).text
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        suffixes = {
            "counter": ["_total"],
            "histogram": ["_bucket", "_count", "_sum"],
        }.get(family.type, [""])
        names.update(family.name + suffix for suffix in suffixes)
    return names


async def test_alerts_and_dashboard_query_only_series_that_exist(
    db: Any, repo_root: Path, dashboard: dict[str, Any]
) -> None:
    exported = await exported_series()
    alerts = yaml.safe_load((repo_root / "deploy" / "prometheus" / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    expressions += [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {name for expr in expressions for name in SERIES.findall(expr)}
    assert used, "no Kopdes series queried"
    assert used <= exported, f"queried but never exported: {sorted(used - exported)}"
    names = [rule["alert"] for group in alerts["groups"] for rule in group["rules"]]
    readme = (repo_root / "README.md").read_text()
    missing = [name for name in names if f"`{name}`" not in readme]
    assert not missing, f"README's Operating Kopdes section does not explain {missing}"
