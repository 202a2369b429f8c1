"""Kubernetes objects (plain dicts) that run the two OpenTelemetry Collectors on EKS.

The node collector is a DaemonSet that applications reach through a Service with
`internalTrafficPolicy: Local` instead of host ports: the Datadog Agent's OTLP receiver claims the
same host ports, and an open host port accepts data from anything that can reach the node. The
cluster collector is a one-replica Deployment. Each has its own ServiceAccount and ClusterRole, so
neither holds the other's permissions.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from math import floor
from typing import Any, Literal

from components.eks.collector_config import (
    API_KEY_DIR,
    API_KEY_FILE_NAME,
    COLLECTOR_IMAGE,
    DOCKER_CONTAINERS_DIR,
    HEALTH_CHECK_PORT,
    INSTANCE_METADATA_DETECTORS,
    KUBELET_PORT,
    NODE_IP_ENV,
    NODE_NAME_ENV,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    POD_IP_ENV,
    POD_LOGS_DIR,
    ClusterCollectorSettings,
    NodeCollectorSettings,
    cluster_collector_config,
    node_collector_config,
    render_collector_config,
)

API_KEY_SECRET_KEY = "api-key"
"""Key of the Datadog API key inside its Secret (the name Datadog's charts use)."""

CONFIG_FILE = "collector.yaml"
CONFIG_DIR = "/conf"
MANAGED_BY = "pulumi"
COLLECTOR_APP_NAME = "opentelemetry-collector"

# The user the collector image runs as.
_COLLECTOR_IMAGE_USER = 10001
_IMDS_CIDR = "169.254.169.254/32"
_READ = ("get", "list", "watch")
_GO_MEMORY_LIMIT_SHARE = Fraction(4, 5)

_MEMORY_QUANTITY = re.compile(
    r"^(?P<number>\d+(\.\d+)?)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"
)
_MEMORY_MULTIPLIERS: dict[str, int] = {
    "": 1,
    **{suffix: 1000**power for power, suffix in enumerate("kMGTPE", start=1)},
    **{f"{suffix}i": 1024**power for power, suffix in enumerate("KMGTPE", start=1)},
}
_CPU_QUANTITY = re.compile(r"^(?P<number>\d+(\.\d+)?)(?P<milli>m)?$")


class CollectorRole(StrEnum):
    """Which of the two collectors an object belongs to (its `app.kubernetes.io/component`)."""

    NODE = "node-collector"
    CLUSTER = "cluster-collector"


@dataclass(frozen=True)
class ContainerResources:
    """CPU and memory requests and limits of one container, as Kubernetes quantities."""

    cpu_request: str = "200m"
    """CPU reserved for scheduling."""

    memory_request: str = "512Mi"
    """Memory reserved for scheduling."""

    cpu_limit: str = "500m"
    """CPU ceiling (throttled above)."""

    memory_limit: str = "1Gi"
    """Memory ceiling (killed above); GOMEMLIMIT and the memory limiter are derived from it."""

    def __post_init__(self) -> None:
        if cpu_millicores(self.cpu_request) > cpu_millicores(self.cpu_limit):
            raise ValueError(f"cpu request {self.cpu_request} exceeds limit {self.cpu_limit}")
        if memory_bytes(self.memory_request) > memory_bytes(self.memory_limit):
            raise ValueError(
                f"memory request {self.memory_request} exceeds limit {self.memory_limit}"
            )

    def to_kubernetes(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


TolerationOperator = Literal["Exists", "Equal"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


@dataclass(frozen=True)
class Toleration:
    """A taint the node collector tolerates, so that it also runs on tainted nodes."""

    key: str | None = None
    """Taint key; None with operator Exists tolerates every taint."""

    operator: TolerationOperator = "Exists"
    """Exists matches any value; Equal needs `value`."""

    value: str | None = None
    """Taint value, for operator Equal."""

    effect: TaintEffect | None = None
    """Taint effect; None matches all effects."""

    def __post_init__(self) -> None:
        if (self.operator == "Equal") != (self.value is not None):
            raise ValueError("a toleration has a value exactly when its operator is Equal")
        if self.operator == "Equal" and self.key is None:
            raise ValueError("a toleration with operator Equal needs a key")

    def to_kubernetes(self) -> dict[str, Any]:
        fields = {
            "key": self.key,
            "operator": self.operator,
            "value": self.value,
            "effect": self.effect,
        }
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class NodePlacement:
    """Where the workloads meant for every node may run: one value for the stack, handed to the
    node collector and the node Agent alike, so that neither misses nodes the other covers.

    The DaemonSet controller adds tolerations by itself only for the `node.kubernetes.io/*`
    taints it manages (not-ready, unreachable, disk-, memory- and pid-pressure, unschedulable:
    kubernetes pkg/controller/daemon/util AddOrUpdateDaemonPodTolerations); a node pool tainted
    `dedicated=payments:NoSchedule` gets neither workload unless both tolerate it.
    """

    tolerations: tuple[Toleration, ...] = ()
    """Taints both tolerate (e.g. `Toleration()` to run on every node)."""

    priority_class_name: str | None = None
    """PriorityClass of both, e.g. `system-node-critical` (allowed outside kube-system since
    Kubernetes 1.17), so a full node makes room for them; None keeps the default priority,
    which is also what Datadog's and the OpenTelemetry Collector's Helm charts do."""

    def to_pod_spec(self) -> dict[str, Any]:
        """The pod spec fields these settings set."""
        fields: dict[str, Any] = {}
        if self.tolerations:
            fields["tolerations"] = [toleration.to_kubernetes() for toleration in self.tolerations]
        if self.priority_class_name is not None:
            fields["priorityClassName"] = self.priority_class_name
        return fields


@dataclass(frozen=True)
class CollectorParameters:
    """Where and how the collectors run."""

    namespace: str
    """Namespace of every namespaced object."""

    api_key_secret_name: str
    """Secret in `namespace` holding the Datadog API key under the key `api-key`."""

    instance: str = "otel-collector"
    """Instance name (`app.kubernetes.io/instance`), prefix of every object name."""

    image: str = COLLECTOR_IMAGE
    """Collector image; its version must match the configuration's component names."""

    node_resources: ContainerResources = field(default_factory=ContainerResources)
    """Resources of each node collector pod."""

    cluster_resources: ContainerResources = field(default_factory=ContainerResources)
    """Resources of the cluster collector pod."""

    node_placement: NodePlacement = field(default_factory=NodePlacement)
    """Tolerations and priority of the node collector, the same as the node Agent's."""


NodeOrClusterSettings = NodeCollectorSettings | ClusterCollectorSettings


def memory_bytes(quantity: str) -> Fraction:
    """Bytes in a Kubernetes memory quantity such as `1Gi` or `1500M`."""
    match = _MEMORY_QUANTITY.fullmatch(quantity)
    if match is None:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    number: str = match["number"]
    suffix: str = match["suffix"] or ""
    return Fraction(number) * _MEMORY_MULTIPLIERS[suffix]


def cpu_millicores(quantity: str) -> Fraction:
    """Millicores in a Kubernetes CPU quantity such as `500m` or `1.5`."""
    match = _CPU_QUANTITY.fullmatch(quantity)
    if match is None:
        raise ValueError(f"not a CPU quantity: {quantity!r}")
    number: str = match["number"]
    return Fraction(number) * (1 if match["milli"] else 1000)


def go_memory_limit(memory_limit: str) -> str:
    """GOMEMLIMIT for a container memory limit: 80 % of it, in whole MiB.

    The Go runtime then collects garbage harder before the kernel would kill the container, while
    the memory limiter still has the same 80 % threshold to refuse data.
    """
    mebibytes = floor(memory_bytes(memory_limit) * _GO_MEMORY_LIMIT_SHARE / 2**20)
    if mebibytes < 1:
        raise ValueError(f"memory limit {memory_limit} is too small for the collector")
    return f"{mebibytes}MiB"


def workload_name(params: CollectorParameters, role: CollectorRole) -> str:
    """Name of a collector's DaemonSet/Deployment, ServiceAccount and ConfigMap."""
    suffix = "node" if role is CollectorRole.NODE else "cluster"
    return f"{params.instance}-{suffix}"


def selector_labels(params: CollectorParameters, role: CollectorRole) -> dict[str, str]:
    """Labels that select a collector's pods (stable across upgrades, unlike the full label set)."""
    return {
        "app.kubernetes.io/name": COLLECTOR_APP_NAME,
        "app.kubernetes.io/instance": params.instance,
        "app.kubernetes.io/component": role.value,
    }


def collector_labels(params: CollectorParameters, role: CollectorRole) -> dict[str, str]:
    """Labels of every object belonging to a collector."""
    return {**selector_labels(params, role), "app.kubernetes.io/managed-by": MANAGED_BY}


def collector_config(
    params: CollectorParameters, settings: NodeOrClusterSettings
) -> dict[str, Any]:
    """The collector configuration that `config_map` holds."""
    if isinstance(settings, NodeCollectorSettings):
        return node_collector_config(settings, own_log_glob=own_log_glob(params))
    return cluster_collector_config(settings)


def own_log_glob(params: CollectorParameters) -> str:
    """Log files of the node collector's own pods (`<namespace>_<pod>_<uid>/<container>/*.log`)."""
    pod_prefix = workload_name(params, CollectorRole.NODE)
    return f"{POD_LOGS_DIR}/{params.namespace}_{pod_prefix}-*_*/*/*.log"


def service_account(params: CollectorParameters, role: CollectorRole) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(params, role, workload_name(params, role)),
    }


def cluster_role(params: CollectorParameters, settings: NodeOrClusterSettings) -> dict[str, Any]:
    """Read access to exactly what the collector's informers and kubelet scrapes use."""
    role = _role_of(settings)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": _cluster_metadata(params, role),
        "rules": _rbac_rules(settings),
    }


def cluster_role_binding(params: CollectorParameters, role: CollectorRole) -> dict[str, Any]:
    name = _cluster_scoped_name(params, role)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _cluster_metadata(params, role),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": workload_name(params, role),
                "namespace": params.namespace,
            }
        ],
    }


def config_map(params: CollectorParameters, settings: NodeOrClusterSettings) -> dict[str, Any]:
    role = _role_of(settings)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(params, role, workload_name(params, role)),
        "data": {CONFIG_FILE: render_collector_config(collector_config(params, settings))},
    }


def node_daemon_set(params: CollectorParameters, settings: NodeCollectorSettings) -> dict[str, Any]:
    """The node collector: one pod per EC2 node (DaemonSets cannot run on Fargate)."""
    role = CollectorRole.NODE
    env = [
        *_common_env(params.node_resources),
        _field_env(NODE_NAME_ENV, "spec.nodeName"),
        _field_env(NODE_IP_ENV, "status.hostIP"),
    ]
    ports = [
        _container_port("otlp-grpc", OTLP_GRPC_PORT),
        _container_port("otlp-http", OTLP_HTTP_PORT),
    ]
    mounts = _base_mounts()
    volumes = _base_volumes(params, role)
    if settings.collect_container_logs:
        # Kubelet writes /var/log/pods; on docker-based nodes those files link into the docker dir,
        # which is absent on containerd nodes, hence no type check for it.
        mounts += [
            {"name": "varlogpods", "mountPath": POD_LOGS_DIR, "readOnly": True},
            {
                "name": "varlibdockercontainers",
                "mountPath": DOCKER_CONTAINERS_DIR,
                "readOnly": True,
            },
        ]
        volumes += [
            {"name": "varlogpods", "hostPath": {"path": POD_LOGS_DIR, "type": "Directory"}},
            {"name": "varlibdockercontainers", "hostPath": {"path": DOCKER_CONTAINERS_DIR}},
        ]
    pod_spec = _pod_spec(
        params,
        role,
        _container(
            params,
            params.node_resources,
            env=env,
            ports=ports,
            mounts=mounts,
            security_context=_node_security_context(settings),
        ),
        volumes,
    )
    pod_spec["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {
                                "key": "eks.amazonaws.com/compute-type",
                                "operator": "NotIn",
                                "values": ["fargate"],
                            }
                        ]
                    }
                ]
            }
        }
    }
    pod_spec |= params.node_placement.to_pod_spec()
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _metadata(params, role, workload_name(params, role)),
        "spec": {
            "selector": {"matchLabels": selector_labels(params, role)},
            "template": _pod_template(params, settings, pod_spec),
        },
    }


def cluster_deployment(
    params: CollectorParameters, settings: ClusterCollectorSettings
) -> dict[str, Any]:
    """The cluster collector: exactly one pod, so cluster metrics and events are reported once."""
    role = CollectorRole.CLUSTER
    container = _container(
        params,
        params.cluster_resources,
        env=_common_env(params.cluster_resources),
        ports=[],
        mounts=_base_mounts(),
        security_context=_container_security_context(_COLLECTOR_IMAGE_USER),
    )
    pod_spec = _pod_spec(params, role, container, _base_volumes(params, role))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(params, role, workload_name(params, role)),
        "spec": {
            "replicas": 1,
            # A rolling update would run two replicas for a while and report everything twice.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector_labels(params, role)},
            "template": _pod_template(params, settings, pod_spec),
        },
    }


def otlp_service(params: CollectorParameters) -> dict[str, Any]:
    """The Service applications send OTLP to.

    `internalTrafficPolicy: Local` keeps each pod's traffic on its own node's collector, which is
    the only one that knows the pod (k8sattributes watches just its node's pods).
    """
    role = CollectorRole.NODE
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(params, role, workload_name(params, role)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(params, role),
            "internalTrafficPolicy": "Local",
            "ports": [
                _service_port("otlp-grpc", OTLP_GRPC_PORT),
                _service_port("otlp-http", OTLP_HTTP_PORT),
            ],
        },
    }


def otlp_endpoint(
    params: CollectorParameters,
    protocol: Literal["grpc", "http/protobuf"] = "grpc",
    cluster_domain: str = "cluster.local",
) -> str:
    """OTLP endpoint for applications (`OTEL_EXPORTER_OTLP_ENDPOINT`).

    The Service's fully qualified name resolves in one DNS query from any namespace (a short name
    goes through the search list first), and plain `http` is right inside the cluster: the
    NetworkPolicy admits only in-cluster senders. Pods on Fargate have no node collector and must
    not use it.
    """
    port = OTLP_GRPC_PORT if protocol == "grpc" else OTLP_HTTP_PORT
    service = workload_name(params, CollectorRole.NODE)
    return f"http://{service}.{params.namespace}.svc.{cluster_domain}:{port}"


def network_policy(params: CollectorParameters, settings: NodeOrClusterSettings) -> dict[str, Any]:
    """Admits health checks, and OTLP from the cluster's pods where a receiver takes it; lets out
    only what the collector's configuration talks to."""
    role = _role_of(settings)
    config = collector_config(params, settings)
    receivers = config["receivers"]
    detectors = config["processors"].get("resourcedetection", {}).get("detectors", [])
    ingress: list[dict[str, Any]] = [{"ports": [tcp_port(HEALTH_CHECK_PORT)]}]
    if "otlp" in receivers:
        ingress.insert(
            0,
            {
                "from": [{"namespaceSelector": {}}],
                "ports": [tcp_port(OTLP_GRPC_PORT), tcp_port(OTLP_HTTP_PORT)],
            },
        )
    # The Datadog intake and the Kubernetes API server.
    egress: list[dict[str, Any]] = [dns_egress_rule(), {"ports": [tcp_port(443)]}]
    if INSTANCE_METADATA_DETECTORS & set(detectors):
        # IMDSv2 (a PUT for a token, then GETs) on port 80. A pod is one network hop further from
        # IMDS than its node, so IMDS answers it only if the instance's metadata hop limit
        # (HttpPutResponseHopLimit) is 2 or more: AL2023 AMIs launch with 2 (AWS's Amazon Linux
        # 2023 guide, "IMDSv2"); on nodes hardened to 1, which keeps every pod away from the node
        # role's credentials, the detectors find no instance metadata and this rule opens nothing.
        egress.append({"to": [{"ipBlock": {"cidr": _IMDS_CIDR}}], "ports": [tcp_port(80)]})
    if "kubeletstats" in receivers:
        # The kubelet listens on its node's IP, which a NetworkPolicy cannot name: only the port.
        egress.append({"ports": [tcp_port(KUBELET_PORT)]})
    if "prometheus" in receivers:
        # Scrape ports are whatever each pod's annotation says: any TCP port of any pod.
        egress.append({"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP"}]})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(params, role, workload_name(params, role)),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(params, role)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def dns_egress_rule() -> dict[str, Any]:
    """DNS wherever the resolver is (CoreDNS pods, or a node-local cache on the host)."""
    return {"ports": [{"protocol": "UDP", "port": 53}, tcp_port(53)]}


def tcp_port(port: int) -> dict[str, Any]:
    """A NetworkPolicy port."""
    return {"protocol": "TCP", "port": port}


def collector_objects(
    params: CollectorParameters,
    node: NodeCollectorSettings,
    cluster: ClusterCollectorSettings,
) -> list[dict[str, Any]]:
    """Every object of both collectors, in an order that applies cleanly."""
    objects: list[dict[str, Any]] = []
    for settings in (node, cluster):
        role = _role_of(settings)
        objects += [
            service_account(params, role),
            cluster_role(params, settings),
            cluster_role_binding(params, role),
            config_map(params, settings),
            network_policy(params, settings),
        ]
    return [
        *objects,
        node_daemon_set(params, node),
        otlp_service(params),
        cluster_deployment(params, cluster),
    ]


def _node_security_context(settings: NodeCollectorSettings) -> dict[str, Any]:
    if not settings.collect_container_logs:
        return _container_security_context(_COLLECTOR_IMAGE_USER)
    # Pod log files are root:root 0640 on EKS nodes. fsGroup cannot help (kubelet does not change
    # ownership of hostPath volumes), so the collector reads them as uid 0, the files' owner: owner
    # read needs no capability, all capabilities are dropped, privilege escalation is off and the
    # root filesystem is read-only, so root here is no more than "the owner of these files".
    return _container_security_context(0)


def _container_security_context(run_as_user: int) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": run_as_user != 0,
        "runAsUser": run_as_user,
    }


def _rbac_rules(settings: NodeOrClusterSettings) -> list[dict[str, Any]]:
    if isinstance(settings, NodeCollectorSettings):
        rules = [
            # k8sattributes watches pods and namespaces; prometheus discovers pods.
            _rule("", ["namespaces", "pods"], _READ),
            # k8sattributes derives k8s.deployment.name from the pod's ReplicaSet.
            _rule("apps", ["replicasets"], _READ),
        ]
        if settings.collect_kubelet_stats:
            # The kubelet authorizes /stats/summary as `get nodes/stats`.
            rules.append(_rule("", ["nodes/stats"], ["get"]))
        return rules
    # The k8s_cluster receiver's informers (none of its kinds are served by `extensions` any more).
    rules = [
        _rule(
            "",
            [
                "namespaces",
                "nodes",
                "pods",
                "replicationcontrollers",
                "resourcequotas",
                "services",
            ],
            _READ,
        ),
        _rule("apps", ["daemonsets", "deployments", "replicasets", "statefulsets"], _READ),
        _rule("batch", ["cronjobs", "jobs"], _READ),
        _rule("autoscaling", ["horizontalpodautoscalers"], _READ),
    ]
    if settings.collect_events:
        # k8sobjects in watch mode lists once, then watches.
        rules.append(_rule("events.k8s.io", ["events"], ["list", "watch"]))
    return rules


def _rule(group: str, resources: list[str], verbs: Sequence[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": resources, "verbs": list(verbs)}


def _role_of(settings: NodeOrClusterSettings) -> CollectorRole:
    if isinstance(settings, NodeCollectorSettings):
        return CollectorRole.NODE
    return CollectorRole.CLUSTER


def _metadata(params: CollectorParameters, role: CollectorRole, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": params.namespace, "labels": collector_labels(params, role)}


def _cluster_scoped_name(params: CollectorParameters, role: CollectorRole) -> str:
    # Cluster-scoped names must not collide with an installation in another namespace.
    return f"{params.namespace}-{workload_name(params, role)}"


def _cluster_metadata(params: CollectorParameters, role: CollectorRole) -> dict[str, Any]:
    return {"name": _cluster_scoped_name(params, role), "labels": collector_labels(params, role)}


def _pod_template(
    params: CollectorParameters, settings: NodeOrClusterSettings, pod_spec: dict[str, Any]
) -> dict[str, Any]:
    config_text = render_collector_config(collector_config(params, settings))
    return {
        "metadata": {
            "labels": collector_labels(params, _role_of(settings)),
            # A changed configuration changes the template, so the pods restart and load it.
            "annotations": {
                "checksum/config": hashlib.sha256(config_text.encode()).hexdigest(),
            },
        },
        "spec": pod_spec,
    }


def _pod_spec(
    params: CollectorParameters,
    role: CollectorRole,
    container: dict[str, Any],
    volumes: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "serviceAccountName": workload_name(params, role),
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "containers": [container],
        "volumes": volumes,
    }


def _container(
    params: CollectorParameters,
    resources: ContainerResources,
    *,
    env: list[dict[str, Any]],
    ports: list[dict[str, Any]],
    mounts: list[dict[str, Any]],
    security_context: dict[str, Any],
) -> dict[str, Any]:
    return {
        "name": "otel-collector",
        "image": params.image,
        "args": [f"--config={CONFIG_DIR}/{CONFIG_FILE}"],
        "env": env,
        "ports": [*ports, _container_port("health", HEALTH_CHECK_PORT)],
        "livenessProbe": _health_probe(),
        "readinessProbe": _health_probe(),
        "resources": resources.to_kubernetes(),
        "securityContext": security_context,
        "volumeMounts": mounts,
    }


def _health_probe() -> dict[str, Any]:
    return {"httpGet": {"path": "/", "port": HEALTH_CHECK_PORT}}


def _common_env(resources: ContainerResources) -> list[dict[str, Any]]:
    return [
        _field_env(POD_IP_ENV, "status.podIP"),
        {"name": "GOMEMLIMIT", "value": go_memory_limit(resources.memory_limit)},
    ]


def _field_env(name: str, field_path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}


def _base_mounts() -> list[dict[str, Any]]:
    """The configuration and the API key, which every collector reads."""
    return [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "datadog-api-key", "mountPath": API_KEY_DIR, "readOnly": True},
    ]


def _base_volumes(params: CollectorParameters, role: CollectorRole) -> list[dict[str, Any]]:
    return [
        {"name": "config", "configMap": {"name": workload_name(params, role)}},
        {
            "name": "datadog-api-key",
            "secret": {
                "secretName": params.api_key_secret_name,
                # Only the key, whatever else an existing Secret holds.
                "items": [{"key": API_KEY_SECRET_KEY, "path": API_KEY_FILE_NAME}],
            },
        },
    ]


def _container_port(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "containerPort": port, "protocol": "TCP"}


def _service_port(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "port": port, "targetPort": port, "protocol": "TCP"}
