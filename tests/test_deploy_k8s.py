"""deploy/k8s: every manifest validates against the Kubernetes schemas (kubernetes-validate,
strict: unknown fields fail) and the ScaledObjects against KEDA's model (cloudcoil, generated
from KEDA's CRDs); and the manifests run the same processes, settings and queues as the
platform does."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import kubernetes_validate
import pydantic
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject

from aduan.infra import secret_policy
from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from aduan.infra.messaging import CONSUMERS
from tools.devstack import DEV, HTTP_SERVICES, ROOT, SCHEDULED, WORKERS

K8S = ROOT / "deploy" / "k8s"
SECRET_EXAMPLE = K8S / "examples" / "aduan-secrets.example.yaml"
KUBERNETES_VERSION = "1.30"
KNOWN_VARIABLES = {f"ADUAN_{f.name.upper()}" for f in fields(Settings)} | {
    "ADUAN_WEB_WORKERS", "ADUAN_WEB_THREADS"}
# The RabbitMQ scaler's metadata keys (KEDA documentation).
RABBITMQ_TRIGGER_KEYS = {"host", "hostFromEnv", "protocol", "queueName", "mode", "value",
                         "activationValue", "vhostName", "useRegex", "excludeUnacknowledged",
                         "pageSize", "operation", "timeout", "unsafeSsl"}


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in _manifests() if doc["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _validate_keda(doc: dict[str, Any]) -> None:
    model = ScaledObject.model_validate(doc)
    # The model ignores fields it does not know: a round trip that loses one shows a typo.
    assert model.model_dump(by_alias=True, exclude_unset=True, mode="json") == doc, (
        "fields unknown to KEDA's ScaledObject")


def _example_secret() -> dict[str, str]:
    (doc,) = [d for d in yaml.safe_load_all(SECRET_EXAMPLE.read_text()) if d]
    assert (doc["kind"], doc["metadata"]["name"]) == ("Secret", "aduan-secrets")
    return doc["stringData"]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    assert kustomization["namespace"] == "aduan"


@pytest.mark.parametrize(
    "doc", [doc for _, doc in _manifests()],
    ids=[f"{file}:{doc['kind']}/{doc['metadata']['name']}" for file, doc in _manifests()])
def test_manifest_matches_its_schema(doc: dict[str, Any]) -> None:
    if doc["kind"] == "ScaledObject":
        _validate_keda(doc)
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validators_reject_broken_manifests() -> None:
    deployment = yaml.safe_load(yaml.safe_dump(_by_kind("Deployment")["intake"]))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment["spec"]["replicas"] = 2
    _container(deployment)["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)

    scaled = yaml.safe_load(yaml.safe_dump(_by_kind("ScaledObject")["verification-worker"]))
    scaled["spec"]["maxReplicas"] = 3  # KEDA calls it maxReplicaCount
    with pytest.raises(AssertionError):
        _validate_keda(scaled)
    del scaled["spec"]["maxReplicas"]
    del scaled["spec"]["scaleTargetRef"]
    with pytest.raises(pydantic.ValidationError):
        _validate_keda(scaled)


# Scheduled jobs Kubernetes runs as a CronJob per city (the rest run their loop in a Deployment).
CRON_JOBS = {"notification-digest"}
LOOPS = {name: job for name, job in SCHEDULED.items() if name not in CRON_JOBS}


def test_every_process_has_a_deployment_running_the_same_command() -> None:
    deployments = _by_kind("Deployment")
    assert set(deployments) == set(HTTP_SERVICES) | set(WORKERS) | set(LOOPS)
    for name, app in HTTP_SERVICES.items():
        command = _container(deployments[name])["command"]
        assert command[:3] == ["gunicorn", "-c", "python:aduan.infra.gunicorn_conf"]
        assert command[-1] == app
        assert f"0.0.0.0:{DEV.http_ports[name]}" in command
    for name, (_, module) in WORKERS.items():
        assert _container(deployments[name])["command"] == ["python", "-m", module]
    for name, (_, module, arguments) in LOOPS.items():
        assert _container(deployments[name])["command"] == ["python", "-m", module, *arguments]


def test_the_lapor_importer_is_one_loop_never_two() -> None:
    """A pass every ADUAN_LAPOR_POLL_INTERVAL_S: one copy, replaced (not overlapped) on a
    rollout, so LAPOR!'s rate limit sees one importer; it needs MongoDB and intake only."""
    deployment = _by_kind("Deployment")["lapor-import"]
    assert SCHEDULED["lapor-import"][2] == ("--loop",)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert "lapor-import" not in _by_kind("ScaledObject")
    assert "lapor-import" not in _by_kind("HorizontalPodAutoscaler")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "job"


def test_pods_get_the_settings_and_a_metrics_folder() -> None:
    for name, deployment in _by_kind("Deployment").items():
        container = _container(deployment)
        assert container["envFrom"] == [{"configMapRef": {"name": "aduan-config"}},
                                        {"secretRef": {"name": "aduan-secrets"}}], name
        assert {"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/metrics"} in container["env"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert mounts.get("/tmp/metrics") in volumes, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert "requests" in container["resources"], name  # the HPA needs CPU requests


def test_http_services_have_a_service_probes_and_an_hpa() -> None:
    deployments, services, hpas = (_by_kind(k) for k in (
        "Deployment", "Service", "HorizontalPodAutoscaler"))
    assert set(services) == set(hpas) == set(HTTP_SERVICES)
    for name in HTTP_SERVICES:
        container = _container(deployments[name])
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        (port,) = services[name]["spec"]["ports"]
        assert port["port"] == DEV.http_ports[name]
        assert port["targetPort"] in {p["name"] for p in container["ports"]}
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= pod_labels.items()
        target = hpas[name]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]


def test_every_consumer_scales_on_its_own_queue() -> None:
    config = _by_kind("ConfigMap")["aduan-config"]["data"]
    secret = _example_secret()
    scaled = _by_kind("ScaledObject")
    # The queue consumers; the relay, the SLA sweep and the webhook dispatcher poll MongoDB.
    consumers = {name: service for name, (service, _) in WORKERS.items()
                 if service in CONSUMERS and name.endswith("-worker")}
    assert set(scaled) == set(consumers)
    for name, consumer in consumers.items():
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        metadata = trigger["metadata"]
        assert set(metadata) <= RABBITMQ_TRIGGER_KEYS
        assert metadata["queueName"] == f"{config['ADUAN_NAMESPACE']}.{consumer}"
        assert metadata["mode"] == "QueueLength" and int(metadata["value"]) > 0
        assert metadata["hostFromEnv"] in secret


def test_the_gateway_serves_metrics_on_its_internal_port_only() -> None:
    deployment = _by_kind("Deployment")["gateway"]
    container = _container(deployment)
    internal = Settings().internal_port
    assert ["-b", f"0.0.0.0:{internal}"] == container["command"][5:7]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["metrics"] == internal
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(internal)
    service_ports = _by_kind("Service")["gateway"]["spec"]["ports"]
    assert [p["targetPort"] for p in service_ports] == ["http"]  # the Ingress sees no metrics


def test_workers_serve_metrics_on_the_configured_port() -> None:
    config = _by_kind("ConfigMap")["aduan-config"]["data"]
    port = int(config["ADUAN_WORKER_METRICS_PORT"])
    for name in [*WORKERS, *LOOPS]:
        deployment = _by_kind("Deployment")[name]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port)
        assert [p["containerPort"] for p in _container(deployment)["ports"]] == [port]


def test_settings_are_real_aduan_settings_and_secrets_are_placeholders() -> None:
    config = _by_kind("ConfigMap")["aduan-config"]["data"]
    secret = _example_secret()
    assert not set(config) & set(secret)
    unknown = (set(config) | set(secret)) - KNOWN_VARIABLES
    assert not unknown, f"not Aduan settings (typo?): {sorted(unknown)}"
    for key, value in secret.items():
        assert value == "" or "CHANGE-ME" in value, f"{key} holds a value that looks real"
    assert {"ADUAN_TOKEN_SECRET", "ADUAN_JWT_SECRET", "ADUAN_MONGO_URL",
            "ADUAN_AMQP_URL"} <= set(secret)


def test_applying_the_kustomization_never_overwrites_the_real_secret() -> None:
    assert _by_kind("Secret") == {}
    assert "aduan-secrets" in SECRET_EXAMPLE.read_text()


def test_pods_run_in_production_mode_and_refuse_the_example_secret() -> None:
    config = _by_kind("ConfigMap")["aduan-config"]["data"]
    assert config["ADUAN_ENV"] == "production"
    example = {**config, **_example_secret()}
    settings = Settings(**{f.name: example[f"ADUAN_{f.name.upper()}"] for f in fields(Settings)
                           if f"ADUAN_{f.name.upper()}" in example
                           and isinstance(f.default, str)})
    refused = "\n".join(secret_policy.problems(settings, example))
    for variable in ("ADUAN_JWT_SECRET", "ADUAN_TOKEN_SECRET", "ADUAN_DELIVERY_HASH_SECRET",
                     "ADUAN_S3_SECRET_KEY",
                     "ADUAN_AMQP_URL", "ADUAN_MONGO_URL"):
        assert variable in refused



# ---- the leaders' digest: a CronJob per city, in the city's time zone --------------------------

def _job_pod(cronjob: dict[str, Any]) -> dict[str, Any]:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]


def test_the_digest_runs_once_a_day_per_city_in_its_own_time_zone() -> None:
    cronjobs = _by_kind("CronJob")
    assert set(cronjobs) == {f"digest-{city}" for city in cities()}
    config = _by_kind("ConfigMap")["aduan-config"]["data"]
    hour = int(config.get("ADUAN_DIGEST_HOUR", Settings().digest_hour))
    _, module, _ = SCHEDULED["notification-digest"]
    for city, settings in cities().items():
        cronjob = cronjobs[f"digest-{city}"]
        spec = cronjob["spec"]
        assert spec["schedule"] == f"0 {hour} * * *"
        assert spec["timeZone"] == settings["timezone"]
        assert spec["concurrencyPolicy"] == "Forbid"
        (container,) = _job_pod(cronjob)["spec"]["containers"]
        # The one-shot command for that city (idempotent per city and local day), not the loop.
        assert container["command"] == ["python", "-m", module, "--city", city]
        assert _job_pod(cronjob)["spec"]["restartPolicy"] == "OnFailure"
        assert _job_pod(cronjob)["metadata"]["labels"]["aduan.go.id/city"] == city


def test_the_digest_jobs_run_like_the_workers() -> None:
    worker = _by_kind("Deployment")["notification-worker"]
    worker_container = _container(worker)
    worker_pod = worker["spec"]["template"]["spec"]
    for name, cronjob in _by_kind("CronJob").items():
        pod = _job_pod(cronjob)["spec"]
        (container,) = pod["containers"]
        assert container["image"] == worker_container["image"], name
        assert container["envFrom"] == worker_container["envFrom"], name
        assert container["securityContext"] == worker_container["securityContext"], name
        assert pod["securityContext"] == worker_pod["securityContext"], name
        labels = _job_pod(cronjob)["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "aduan"
