"""docker-compose.yml: valid for docker-compose 1.29, runs every Aduan entry point, each with a
health check. Only `docker-compose config` is used, so no Docker engine is needed.

Compose runs with a bare environment and an empty env file, so what is checked is the file with
its defaults, whatever the developer's shell or a local .env holds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from aduan.infra.config import Settings
from tools.devstack import DEV, HTTP_SERVICES, ROOT, SCHEDULED, TEST, WORKERS

COMPOSE_FILE = ROOT / "docker-compose.yml"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"

INFRASTRUCTURE = {"mongo", "minio", "rabbitmq", "mailpit", "prometheus", "grafana"}
EXPECTED_SERVICES = INFRASTRUCTURE | {
    "gateway", "intake", "verification", "routing", "notification", "lapor", "channels",
    "verification-worker", "routing-worker", "notification-worker", "webhook-dispatcher",
    "outbox-relay", "routing-sweep", "notification-digest", "lapor-worker", "lapor-import",
}
ADUAN_SERVICES = EXPECTED_SERVICES - INFRASTRUCTURE
EXPECTED_VOLUMES = {"mongo-data", "minio-data", "rabbitmq-data", "prometheus-data", "grafana-data"}
# Read by aduan/infra/gunicorn_conf.py, not by Settings.
GUNICORN_VARIABLES = {"ADUAN_WEB_WORKERS", "ADUAN_WEB_THREADS"}
KNOWN_VARIABLES = {f"ADUAN_{f.name.upper()}" for f in fields(Settings)} | GUNICORN_VARIABLES


@pytest.fixture(scope="module")
def empty_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compose") / "empty.env"
    path.write_text("")
    return path


# What an operator must provide; the values only have to be there for `config` to render.
REQUIRED_SECRETS = {
    "ADUAN_JWT_SECRET": "jwt-" + "a1" * 20,
    "ADUAN_TOKEN_SECRET": "token-" + "b2" * 20,
    "ADUAN_DELIVERY_HASH_SECRET": "hash-" + "a7" * 20,
    "MONGO_PASSWORD": "c3" * 16,
    "RABBITMQ_PASSWORD": "d4" * 16,
    "MINIO_ROOT_PASSWORD": "e5" * 16,
    "GRAFANA_ADMIN_PASSWORD": "f6" * 16,
}


def run_compose(env_file: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = compose(env_file, *args, env={**REQUIRED_SECRETS, **(env or {})})
    assert result.returncode == 0, (
        f"`docker-compose {' '.join(args)}` failed ({result.returncode}):\n{result.stderr}"
    )
    return result.stdout


def compose(env_file: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    executable = shutil.which("docker-compose")
    if executable is None:
        pytest.fail(
            "docker-compose is not on PATH; `make bootstrap` installs it (Debian package "
            "docker-compose). It is needed to validate docker-compose.yml.",
            pytrace=False,
        )
    bare_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        **env,
    }
    return subprocess.run(
        [executable, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
        cwd=ROOT, env=bare_env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def services(empty_env_file: Path) -> dict[str, str]:
    return service_blocks(run_compose(empty_env_file, "config"))


def service_blocks(normalized: str) -> dict[str, str]:
    """Splits `docker-compose config` output (block YAML, two-space steps) into each service's
    lines, keyed by service name."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_services = False
    for line in normalized.splitlines():
        if not line.startswith(" "):
            in_services = line == "services:"
            current = None
        elif in_services and (match := re.fullmatch(r" {2}([\w.-]+):", line)):
            current = blocks.setdefault(match.group(1), [])
        elif in_services and current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in blocks.items()}


def section(block: str, key: str) -> str | None:
    """The value of a service's top-level key, with YAML's line wrapping undone."""
    lines = block.splitlines()
    for index, line in enumerate(lines):
        match = re.fullmatch(rf" {{4}}{re.escape(key)}:(.*)", line)
        if match is None:
            continue
        body = [match.group(1)]
        for following in lines[index + 1:]:
            if re.match(r" {4}\S", following) and not following.startswith("    - "):
                break
            body.append(following)
        return " ".join(" ".join(body).split())
    return None


def environment(block: str) -> dict[str, str]:
    values = {}
    for line in block.splitlines():
        match = re.fullmatch(r" {6}(ADUAN_\w+): ?(.*)", line)
        if match:
            values[match.group(1)] = _unquote(match.group(2))
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def test_config_is_valid(empty_env_file: Path) -> None:
    assert run_compose(empty_env_file, "config", "-q") == ""


def test_services_are_exactly_the_platform(empty_env_file: Path) -> None:
    listed = set(run_compose(empty_env_file, "config", "--services").split())
    assert listed == EXPECTED_SERVICES


def test_volumes(empty_env_file: Path) -> None:
    listed = set(run_compose(empty_env_file, "config", "--volumes").split())
    assert listed == EXPECTED_VOLUMES


def test_every_devstack_entry_point_is_a_compose_service() -> None:
    assert set(HTTP_SERVICES) | set(WORKERS) | set(SCHEDULED) == ADUAN_SERVICES


@pytest.mark.parametrize("name", sorted(SCHEDULED))
def test_scheduled_job_runs_as_a_loop(services: dict[str, str], name: str) -> None:
    # The leaders' digest runs by itself: `make up` starts the loop (not a test stack, whose
    # notification tests count every email), and so does compose.
    _, module, arguments = SCHEDULED[name]
    assert section(services[name], "command") == " ".join(["python", "-m", module, *arguments])
    assert arguments == ("--loop",)
    assert section(services[name], "image") == "aduan:latest"
    assert section(services[name], "ports") is None
    assert DEV.scheduled and not TEST.scheduled


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES))
def test_every_service_has_a_healthcheck(services: dict[str, str], name: str) -> None:
    healthcheck = section(services[name], "healthcheck")
    assert healthcheck is not None and "test:" in healthcheck, f"{name} has no health check"


@pytest.mark.parametrize("name", sorted(HTTP_SERVICES))
def test_http_service(services: dict[str, str], name: str) -> None:
    block = services[name]
    port = DEV.http_ports[name]
    command = section(block, "command") or ""
    assert command.startswith("gunicorn -c python:aduan.infra.gunicorn_conf"), command
    assert f"-b 0.0.0.0:{port}" in command
    assert f"'{HTTP_SERVICES[name]}'" in command
    assert f"http://127.0.0.1:{port}/readyz" in (section(block, "healthcheck") or "")
    assert section(block, "image") == "aduan:latest"
    assert section(block, "build") is not None
    published = section(block, "ports")
    if name == "gateway":
        assert published is not None and "published: 8080" in published
        # Its internal listener (metrics, readiness details) is bound but never published.
        assert f"-b 0.0.0.0:{Settings().internal_port}" in command
        assert str(Settings().internal_port) not in published
    else:
        assert published is None, f"{name} is internal and must publish no port"


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_worker(services: dict[str, str], name: str) -> None:
    block = services[name]
    _, module = WORKERS[name]
    assert section(block, "command") == f"python -m {module}"
    assert section(block, "image") == "aduan:latest"
    # Published ports would stop `docker-compose up --scale NAME=N` on one machine.
    assert section(block, "ports") is None


def test_aduan_services_share_one_environment(services: dict[str, str]) -> None:
    shared = environment(services["gateway"])
    for name in ADUAN_SERVICES:
        assert environment(services[name]) == shared, f"{name} differs from the gateway"
    unknown = set(shared) - KNOWN_VARIABLES
    assert not unknown, f"not Aduan settings (typo?): {sorted(unknown)}"
    mongo_password, broker_password = (REQUIRED_SECRETS["MONGO_PASSWORD"],
                                       REQUIRED_SECRETS["RABBITMQ_PASSWORD"])
    assert shared["ADUAN_ENV"] == "production"
    assert shared["ADUAN_MONGO_URL"] == (f"mongodb://aduan:{mongo_password}@mongo:27017/"
                                         "?authSource=admin")
    assert shared["ADUAN_AMQP_URL"] == f"amqp://aduan:{broker_password}@rabbitmq:5672/%2F"
    assert shared["ADUAN_S3_ENDPOINT"] == "minio:9000"
    assert shared["ADUAN_SMTP_HOST"] == "mailpit"
    assert shared["ADUAN_TOKEN_SECRET"] == REQUIRED_SECRETS["ADUAN_TOKEN_SECRET"]
    assert shared["ADUAN_JWT_SECRET"] == REQUIRED_SECRETS["ADUAN_JWT_SECRET"]
    for service in ("intake", "verification", "routing", "notification", "lapor", "channels"):
        url = f"http://{service}:{DEV.http_ports[service]}"
        assert shared[f"ADUAN_{service.upper()}_URL"] == url


@pytest.mark.parametrize("missing", sorted(REQUIRED_SECRETS))
def test_a_deployment_without_a_secret_does_not_even_render(empty_env_file: Path,
                                                            missing: str) -> None:
    others = {k: v for k, v in REQUIRED_SECRETS.items() if k != missing}
    refused = compose(empty_env_file, "config", "-q", env=others)
    assert refused.returncode != 0
    assert f"set {missing}" in refused.stderr


def test_secrets_come_from_the_environment(empty_env_file: Path) -> None:
    secrets = {
        "RABBITMQ_PASSWORD": "rabbit-pw",
        "MINIO_ROOT_USER": "minio-user",
        "MINIO_ROOT_PASSWORD": "minio-pw",
        "ADUAN_TOKEN_SECRET": "token-secret",
    }
    blocks = service_blocks(run_compose(empty_env_file, "config", env=secrets))
    aduan_env = environment(blocks["outbox-relay"])
    assert aduan_env["ADUAN_AMQP_URL"] == "amqp://aduan:rabbit-pw@rabbitmq:5672/%2F"
    assert aduan_env["ADUAN_S3_ACCESS_KEY"] == "minio-user"
    assert aduan_env["ADUAN_S3_SECRET_KEY"] == "minio-pw"
    assert aduan_env["ADUAN_TOKEN_SECRET"] == "token-secret"
    assert "RABBITMQ_DEFAULT_PASS: rabbit-pw" in blocks["rabbitmq"]
    assert "MINIO_ROOT_PASSWORD: minio-pw" in blocks["minio"]


@pytest.fixture(scope="module")
def normalized(empty_env_file: Path) -> dict:
    return yaml.safe_load(run_compose(empty_env_file, "config"))


def test_prometheus_gets_its_config_and_alert_rules(normalized: dict) -> None:
    prometheus = normalized["services"]["prometheus"]
    assert f"{ROOT}/deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "--storage.tsdb.retention.time=90d" in prometheus["command"]
    # The rule files are named relative to the config file, so the folder mount carries them.
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    assert config["rule_files"] == ["rules/*.yml"]
    assert (PROMETHEUS_CONFIG.parent / "rules" / "aduan.yml").is_file()


def test_grafana_is_provisioned(normalized: dict) -> None:
    grafana = normalized["services"]["grafana"]
    assert f"{ROOT}/deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert f"{ROOT}/deploy/grafana/dashboards:/etc/grafana/dashboards:ro" in grafana["volumes"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / "deploy/grafana/dashboards" / Path(home).name).is_file()


# The LAPOR! importer's loop counts what it imports: scraped like a worker. (The digest's loop
# serves no metrics.)
@pytest.mark.parametrize("name", [*sorted(WORKERS), "lapor-import"])
def test_worker_serves_metrics_inside_the_network(normalized: dict, name: str) -> None:
    service = normalized["services"][name]
    assert service["environment"]["ADUAN_WORKER_METRICS_PORT"] == "9100"
    assert service["expose"] == ["9100"]
    assert "ports" not in service  # so that --scale NAME=N still works
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs[name]["dns_sd_configs"] == [
        {"names": [name], "type": "A", "port": 9100, "refresh_interval": "30s"}]


def test_prometheus_scrapes_every_http_service_and_rabbitmq() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    scraped = {**DEV.http_ports, "gateway": Settings().internal_port}  # never the public port
    for service, port in scraped.items():
        assert jobs[service]["metrics_path"] == "/metrics"
        assert jobs[service]["dns_sd_configs"] == [
            {"names": [service], "type": "A", "port": port, "refresh_interval": "30s"}]
    assert jobs["rabbitmq"]["static_configs"] == [{"targets": ["rabbitmq:15692"]}]


def test_every_setting_is_documented_in_the_ops_guide() -> None:
    guide = (ROOT / "deploy" / "README.md").read_text()
    missing = [name for name in sorted(KNOWN_VARIABLES) if f"| `{name}` |" not in guide]
    assert not missing, f"deploy/README.md's configuration table lacks {missing}"


CONNECTOR_SWITCHES = ("ADUAN_LAPOR_BASE_URL", "ADUAN_WHATSAPP_PHONE_NUMBER_ID",
                      "ADUAN_SMS_INBOUND_SECRET")
CONNECTOR_SECRETS = ("ADUAN_LAPOR_TOKENS", "ADUAN_WHATSAPP_ACCESS_TOKEN",
                     "ADUAN_WHATSAPP_APP_SECRET", "ADUAN_WHATSAPP_VERIFY_TOKEN",
                     "ADUAN_SMS_INBOUND_SECRET")


def test_the_connectors_are_off_until_a_city_switches_them_on(services: dict[str, str]) -> None:
    shared = environment(services["gateway"])
    assert all(shared[switch] == "" for switch in CONNECTOR_SWITCHES)
    assert all(shared[secret] == "" for secret in CONNECTOR_SECRETS)


def test_the_connectors_secrets_come_from_the_environment(empty_env_file: Path) -> None:
    given = {name: f"{name.lower()}-{'9e' * 12}" for name in CONNECTOR_SECRETS}
    given["ADUAN_WHATSAPP_PHONE_NUMBER_ID"] = "106540352242922"
    blocks = service_blocks(run_compose(empty_env_file, "config", env=given))
    for service in ("channels", "lapor-import", "lapor-worker", "notification-worker"):
        aduan_env = environment(blocks[service])
        assert {name: aduan_env[name] for name in given} == given, service
