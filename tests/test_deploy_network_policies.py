"""Who may talk to whom under deploy/k8s/network-policies.yaml: the policies' selectors are
evaluated (as Kubernetes does, for ingress and egress) against the pods the Deployments make
and the pods around them (Ingress controller, Prometheus, KEDA, the data stores, DNS,
strangers), and their address blocks against addresses outside the cluster."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from tools.devstack import DEV, HTTP_SERVICES, ROOT, SCHEDULED, WORKERS

K8S = ROOT / "deploy" / "k8s"
NAMESPACE = "aduan"
HTTP_PORTS = {name: port for name, port in DEV.http_ports.items() if name != "gateway"}


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    ports: dict[str, int]  # named container ports


def _documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


POLICIES = [doc for doc in _documents() if doc["kind"] == "NetworkPolicy"]


def _aduan_pods() -> dict[str, Pod]:
    pods = {}
    for doc in _documents():
        if doc["kind"] not in ("Deployment", "CronJob"):
            continue
        template = doc["spec"]["template"] if doc["kind"] == "Deployment" \
            else doc["spec"]["jobTemplate"]["spec"]["template"]
        (container,) = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        pods[doc["metadata"]["name"]] = Pod(doc["metadata"]["name"], NAMESPACE,
                                            template["metadata"]["labels"], ports)
    return pods


def _outside(name: str, namespace: str, **labels: str) -> Pod:
    return Pod(name, namespace, labels, {})


PODS = {
    **_aduan_pods(),
    # Where deploy/README.md says the neighbours are.
    **{store: _outside(store, NAMESPACE, **{"app.kubernetes.io/name": store})
       for store in ("mongodb", "rabbitmq", "minio")},
    "ingress": _outside("ingress", "ingress-nginx", **{"app.kubernetes.io/name": "ingress-nginx"}),
    "prometheus": _outside("prometheus", "monitoring", **{"app.kubernetes.io/name": "prometheus"}),
    "keda": _outside("keda", "keda", **{"app": "keda-operator"}),
    # Strangers: any pod of another namespace, and an unlabelled pod in Aduan's own.
    "stranger": _outside("stranger", "default", app="curl"),
    "squatter": _outside("squatter", NAMESPACE),
    # A pod in the monitoring namespace that is not Prometheus (e.g. Grafana).
    "grafana": _outside("grafana", "monitoring", **{"app.kubernetes.io/name": "grafana"}),
    "kube-dns": _outside("kube-dns", "kube-system", **{"k8s-app": "kube-dns"}),
}


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get(
            "values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_matches(peer: dict[str, Any], source: Pod) -> bool:
    if "ipBlock" in peer:
        # Only the connectors' way out has one, and it leaves out every private range, the
        # cluster's pod and service addresses among them.
        return False
    namespace_labels = {"kubernetes.io/metadata.name": source.namespace}
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif source.namespace != NAMESPACE:  # a podSelector alone means this namespace
        return False
    return _selects(peer.get("podSelector"), source.labels)


def _block_matches(peer: dict[str, Any], address: str) -> bool:
    block = peer.get("ipBlock")
    if block is None:
        return False  # a pod selector never matches an address outside the cluster
    ip = ipaddress.ip_address(address)
    return ip in ipaddress.ip_network(block["cidr"]) and not any(
        ip in ipaddress.ip_network(excluded) for excluded in block.get("except", []))


def _port_matches(rule_port: dict[str, Any], destination: Pod | None, port: int,
                  protocol: str = "TCP") -> bool:
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        wanted = destination.ports.get(wanted) if destination else None
        if wanted is None:
            return False
    return wanted <= port <= rule_port.get("endPort", wanted)


def _egress_allowed(source: Pod, destination: Pod | None, address: str | None, port: int,
                    protocol: str = "TCP") -> bool:
    """Kubernetes' egress rule: a pod no egress policy selects may open anything; a selected
    pod what at least one rule allows (a peer matching the pod or address, and the port)."""
    if source.namespace != NAMESPACE:
        return True  # not governed by these policies
    selecting = [p for p in POLICIES if "Egress" in p["spec"].get("policyTypes", [])
                 and _selects(p["spec"]["podSelector"], source.labels)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("egress") or []:
            peers = rule.get("to")
            if peers and not any(
                    _peer_matches(peer, destination) if destination else
                    _block_matches(peer, address or "") for peer in peers):
                continue
            ports = rule.get("ports")
            if not ports or any(_port_matches(p, destination, port, protocol) for p in ports):
                return True
    return False


def reaches_address(source: Pod, address: str, port: int) -> bool:
    """Whether `source` may connect to an address outside the cluster (the internet, the
    node network, the cloud's metadata service)."""
    return _egress_allowed(source, None, address, port)


def allowed(source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
    """The source's egress rules, then Kubernetes' ingress rule: a pod no policy selects takes
    anything; a selected pod takes what at least one of its policies' rules allows (peer and
    port)."""
    if not _egress_allowed(source, destination, None, port, protocol):
        return False
    if destination.namespace != NAMESPACE:
        return True  # not governed by these policies
    selecting = [p for p in POLICIES if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
                 and _selects(p["spec"]["podSelector"], destination.labels)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            peers = rule.get("from")
            if peers and not any(_peer_matches(peer, source) for peer in peers):
                continue
            ports = rule.get("ports")
            if not ports or any(_port_matches(p, destination, port, protocol) for p in ports):
                return True
    return False


STORES = ("mongodb", "rabbitmq", "minio")
# Scheduled jobs whose loop runs in a Deployment (the digest is a CronJob per city instead).
LOOPS = [name for name in SCHEDULED if name in PODS]
DESTINATION_PORTS = {
    "gateway": (8080, 9100), **{s: (p,) for s, p in HTTP_PORTS.items()},
    **{w: (9100,) for w in [*WORKERS, *LOOPS]},
    "mongodb": (27017,), "rabbitmq": (5672, 15692, 25672), "minio": (9000,),
}
# What files reports with intake besides the gateway: the WhatsApp/SMS service and the LAPOR!
# importer (when its Deployment is there).
CONNECTORS = [name for name in ("channels", "lapor-import") if name in PODS]
# The leaders' digest, one CronJob per city: it reads MongoDB (and mails out of the cluster).
DIGEST_JOBS = [name for name in PODS if name.startswith("digest-")]
# Every connection the platform needs, and nothing else: (source, destination, port).
NEEDED = {
    *{(job, "mongodb", 27017) for job in DIGEST_JOBS},
    # The LAPOR! importer keeps its cursors in MongoDB and files through intake (CONNECTORS).
    *{(loop, "mongodb", 27017) for loop in LOOPS},
    ("ingress", "gateway", 8080),
    # The connectors file reports with intake as trusted clients of their channel.
    *{(connector, "intake", 8081) for connector in CONNECTORS},
    *{("gateway", service, port) for service, port in HTTP_PORTS.items()},
    *{(process, store, port) for process in [*HTTP_SERVICES, *WORKERS]
      for store, port in (("mongodb", 27017), ("rabbitmq", 5672), ("minio", 9000))},
    ("keda", "rabbitmq", 5672),
    *{("prometheus", process, 9100) for process in ["gateway", *WORKERS, *LOOPS]},
    *{("prometheus", service, port) for service, port in HTTP_PORTS.items()},
    ("prometheus", "rabbitmq", 15692),
    # A store's own peers (replica set, cluster, erasure set) on any of its ports.
    *{(store, store, port) for store in STORES for port in DESTINATION_PORTS[store]},
}


def test_the_policies_are_applied() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "network-policies.yaml" in kustomization["resources"]
    deny = [p for p in POLICIES if p["spec"]["podSelector"] == {}]
    assert [p["metadata"]["name"] for p in deny] == ["default-deny-ingress"]
    assert "ingress" not in deny[0]["spec"]


def test_every_needed_connection_is_allowed() -> None:
    refused = [(s, d, port) for s, d, port in sorted(NEEDED)
               if not allowed(PODS[s], PODS[d], port)]
    assert not refused


@pytest.mark.parametrize("source", sorted(PODS))
def test_nothing_else_is_allowed(source: str) -> None:
    extra = [(destination, port) for destination, ports in sorted(DESTINATION_PORTS.items())
             for port in ports if (source, destination, port) not in NEEDED
             and allowed(PODS[source], PODS[destination], port)]
    assert not extra, f"{source} may also reach {extra}"


def test_the_evaluator_reads_selectors_as_kubernetes_does() -> None:
    assert _selects({}, {"a": "b"})
    assert not _selects({"matchLabels": {"a": "c"}}, {"a": "b"})
    assert _selects({"matchExpressions": [{"key": "a", "operator": "In", "values": ["b"]}]},
                    {"a": "b"})
    assert not _selects({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {})
    # A podSelector alone is this namespace's pods only.
    outsider = _outside("x", "default", **{"app.kubernetes.io/name": "gateway"})
    assert not _peer_matches({"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "gateway"}}}, outsider)
    block = {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}
    assert _block_matches(block, "8.8.8.8") and not _block_matches(block, "10.1.2.3")
    assert not _port_matches({"protocol": "UDP", "port": 53}, None, 53, "TCP")
    # Without the default deny, a pod nothing selects would take anything.
    assert allowed(PODS["stranger"], PODS["gateway"], 8080) is False


def test_the_digest_jobs_are_evaluated_too() -> None:
    assert len(DIGEST_JOBS) == 4
    assert not allowed(PODS["digest-padang"], PODS["rabbitmq"], 5672)


def test_only_the_gateway_and_the_connectors_reach_intake() -> None:
    """Intake trusts X-Aduan-Channel from whoever reaches it (the gateway never forwards the
    header from outside): these policies are what keeps a forged channel out."""
    callers = {name for name, pod in PODS.items() if allowed(pod, PODS["intake"], 8081)}
    # Prometheus too: intake serves /metrics on its one port (it only scrapes).
    assert callers == {"gateway", "prometheus", *CONNECTORS}
    assert "channels" in CONNECTORS


# ---- the connectors' way out -------------------------------------------------------------------

CONNECTOR_PODS = ("lapor", "lapor-worker", "lapor-import", "channels")
PUBLIC_HTTPS = ("157.240.22.35", "103.10.64.10")  # e.g. graph.facebook.com; a host in Indonesia


@pytest.mark.parametrize("name", CONNECTOR_PODS)
def test_a_connector_reaches_public_https_dns_and_its_stores_only(name: str) -> None:
    connector = PODS[name]
    assert all(reaches_address(connector, address, 443) for address in PUBLIC_HTTPS)
    assert allowed(connector, PODS["kube-dns"], 53, "UDP")
    assert allowed(connector, PODS["kube-dns"], 53, "TCP")
    # A URL handed over by LAPOR! or Meta cannot lead into the cluster, the node network or
    # the cloud's metadata service, nor out on another port.
    for address, port in [("169.254.169.254", 80), ("169.254.169.254", 443),
                          ("10.96.0.1", 443), ("192.168.1.10", 443), ("172.20.0.5", 443),
                          ("100.64.3.4", 443), ("127.0.0.1", 443), (PUBLIC_HTTPS[0], 80),
                          (PUBLIC_HTTPS[0], 8443)]:
        assert not reaches_address(connector, address, port), (address, port)
    assert not allowed(connector, PODS["stranger"], 8080)
    assert not allowed(connector, PODS["kube-dns"], 9153)


def test_only_the_connectors_are_limited_on_the_way_out() -> None:
    """The other processes' egress (SMTP, webhooks, the SMS provider) is the cluster's call:
    deploy/README.md says so."""
    limited = {name for name, pod in PODS.items() if not reaches_address(pod, "203.0.113.7", 25)}
    assert limited == set(CONNECTOR_PODS)
