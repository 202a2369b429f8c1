"""The Datadog Agent on EKS through the Datadog Operator.

Two payloads: the settings of the Operator's Helm release, and the `DatadogAgent` object
(datadoghq.com/v2alpha1) the Operator turns into the node Agent DaemonSet and the Cluster Agent.

The Agent and the node collector (`collector_config`) would otherwise collect some of the same data:
container logs are tailed by exactly one of them (the collector by default, so the Agent's log
collection is off by default), and the Agent's OTLP receiver is off with its host ports closed.
Running both with the same data on is valid Kubernetes, and the components allow it; a stack
refuses it (`stacks.program.model.eks`).
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from components.datadog_site import DATADOG_SITES, DatadogSite
from components.eks.collector_config import (
    DEBUG_LOG_PATTERN,
    HEALTH_CHECK_PATHS,
    health_check_log_pattern,
)
from components.eks.manifests import (
    API_KEY_SECRET_KEY,
    MANAGED_BY,
    ContainerResources,
    NodePlacement,
    dns_egress_rule,
    tcp_port,
)
from components.versions import DATADOG_AGENT_VERSION

OPERATOR_CHART = "datadog-operator"
OPERATOR_CHART_VERSION = "2.25.0"
"""Ships Operator 1.29.0, whose DatadogAgent schema stacks/validation/schemas vendors."""

OPERATOR_CHART_REPOSITORY = "https://helm.datadoghq.com"

OPERATOR_RELEASE_NAME = OPERATOR_CHART
"""A fixed release name instead of Pulumi's random suffix: `helm list` shows what Datadog's docs
say, and the chart's pod labels (`app.kubernetes.io/instance` is the release name) are known."""

OPERATOR_METRICS_PORT = 8383
"""The Operator's OpenMetrics endpoint (the chart's `metricsPort`), which the node Agent scrapes
through the autodiscovery annotations the chart puts on the pod (`collectOperatorMetrics`)."""

OPERATOR_HEALTH_PORT = 8081
"""The port of the Operator's liveness probe (`/healthz/`, fixed in the chart's deployment.yaml).
Both ports as DataDog/helm-charts has them at tag datadog-operator-2.25.0."""

DD_TRACE_PY_VERSION = "4.13.1"
"""The ddtrace (dd-trace-py) release that Single Step Instrumentation injects into Python pods
unless a stack names another: the newest release of DataDog/dd-trace-py when it was pinned (tag
v4.13.1, commit e4ef706e468f2259d53b0b8ac1cf85095220758b, 13 Aug 2026)."""

_DD_TRACE_VERSION = re.compile(r"\d+\.\d+\.\d+")

# Starting points, to tune from observed usage.
DEFAULT_NODE_AGENT_RESOURCES = ContainerResources("200m", "256Mi", "500m", "512Mi")
DEFAULT_CLUSTER_AGENT_RESOURCES = ContainerResources("100m", "256Mi", "300m", "512Mi")


@dataclass(frozen=True)
class HelmReleaseSpec:
    """What a Helm release needs: the chart, pinned, and its values."""

    name: str
    chart: str
    version: str
    repository: str
    namespace: str
    values: dict[str, Any]


@dataclass(frozen=True)
class OperatorSettings:
    """The Datadog Operator's own deployment."""

    namespace: str
    """Namespace of the Operator (and of the DatadogAgent it reconciles)."""

    api_key_secret_name: str
    """Secret in `namespace` with the API key under `api-key`, for the Operator's own metrics."""

    cluster_name: str
    """EKS cluster name the Operator reports under."""

    site: DatadogSite = "datadoghq.com"
    """Datadog site."""

    resources: ContainerResources = field(
        default_factory=lambda: ContainerResources("100m", "128Mi", "200m", "256Mi")
    )
    """Resources of the Operator pod (a starting point: it only reconciles a few objects)."""

    def __post_init__(self) -> None:
        if self.site not in DATADOG_SITES:
            raise ValueError(f"unknown Datadog site {self.site!r}")


@dataclass(frozen=True)
class AgentOtlpReceiver:
    """The Agent's own OTLP receiver, off by default: applications send OTLP to the collector."""

    grpc: bool = False
    """Accept OTLP/gRPC."""

    http: bool = False
    """Accept OTLP/HTTP."""

    grpc_host_port: int | None = None
    """Host port for OTLP/gRPC; None keeps it closed."""

    http_host_port: int | None = None
    """Host port for OTLP/HTTP; None keeps it closed."""

    def __post_init__(self) -> None:
        for enabled, host_port in (
            (self.grpc, self.grpc_host_port),
            (self.http, self.http_host_port),
        ):
            if host_port is not None and not enabled:
                raise ValueError("a host port needs its OTLP protocol enabled")
        if self.grpc_host_port is not None and self.grpc_host_port == self.http_host_port:
            raise ValueError("gRPC and HTTP cannot share one host port")


@dataclass(frozen=True)
class ApmInstrumentation:
    """APM Single Step Instrumentation of Python workloads: the Cluster Agent's admission
    controller adds ddtrace to each new pod of the chosen namespaces (an init container copies it
    in), with no change to the application's image. It is for workloads without a tracer of their
    own: it turns itself off in a process that already has ddtrace or an OpenTelemetry SDK
    (Datadog's "Single Step APM Instrumentation on Kubernetes")."""

    namespaces: tuple[str, ...]
    """The namespaces whose pods are instrumented; every other namespace is left alone."""

    ddtrace_version: str = DD_TRACE_PY_VERSION
    """The ddtrace release injected, as on PyPI (e.g. 4.13.1). The Cluster Agent pulls
    `<registry>/dd-lib-python-init:<version>`, the version as given (datadog-agent, pkg/
    clusteragent/admission/mutate/autoinstrumentation), and Datadog's examples of targets write
    releases so (`python: "3.1.0"`, "Single Step APM Instrumentation on Kubernetes")."""

    def __post_init__(self) -> None:
        if not self.namespaces:
            raise ValueError("Single Step Instrumentation needs at least one namespace")
        if len(set(self.namespaces)) != len(self.namespaces):
            raise ValueError("a namespace is listed twice")
        if not _DD_TRACE_VERSION.fullmatch(self.ddtrace_version):
            raise ValueError(
                f"ddtrace version {self.ddtrace_version!r} is not a release such as 4.13.1"
            )


@dataclass(frozen=True)
class AgentFeatures:
    """Agent features, each switchable."""

    apm: bool = True
    """Receive ddtrace traces (over the Agent's Unix socket, no host port)."""

    apm_instrumentation: ApmInstrumentation | None = None
    """Inject ddtrace into the Python pods of some namespaces; None injects nothing. Needs `apm`."""

    otlp: AgentOtlpReceiver = field(default_factory=AgentOtlpReceiver)
    """The Agent's OTLP receiver."""

    log_collection: bool = False
    """Tail container logs. Only one of the Agent and the node collector may do it."""

    container_collect_all: bool = True
    """With log collection on, tail every container rather than only annotated ones."""

    npm: bool = False
    """Network Performance Monitoring (runs system-probe, which needs elevated privileges)."""

    cspm: bool = False
    """Cloud Security Posture Management."""

    cws: bool = False
    """Cloud Workload Security (runs system-probe, which needs elevated privileges)."""

    def __post_init__(self) -> None:
        # The Operator ignores the instrumentation of an APM feature that is off
        # (internal/controller/datadogagent/feature/apm/feature.go, Operator 1.29.0).
        if self.apm_instrumentation is not None and not self.apm:
            raise ValueError("Single Step Instrumentation needs APM")


@dataclass(frozen=True)
class DatadogAgentSettings:
    """The DatadogAgent object."""

    namespace: str
    """Namespace of the object, the Agent pods and the API key Secret."""

    cluster_name: str
    """EKS cluster name (`kube_cluster_name` tag)."""

    environment: str
    """Deployment environment, added as the `env` tag."""

    api_key_secret_name: str
    """Secret in `namespace` with the Datadog API key under `api-key`."""

    name: str = "datadog"
    """Object name; the Operator prefixes the Agent workloads with it."""

    site: DatadogSite = "datadoghq.com"
    """Datadog site."""

    features: AgentFeatures = field(default_factory=AgentFeatures)
    """Which features run."""

    node_agent_resources: ContainerResources = DEFAULT_NODE_AGENT_RESOURCES
    """Resources of the node Agent's main container."""

    cluster_agent_resources: ContainerResources = DEFAULT_CLUSTER_AGENT_RESOURCES
    """Resources of each Cluster Agent container."""

    cluster_agent_replicas: int = 2
    """Two in production, so admission control and cluster checks survive a node drain; with two
    or more, a PodDisruptionBudget keeps one of them up while nodes are drained."""

    kubelet_tls_verify: bool = True
    """Verify each kubelet's serving certificate, as the node collector does."""

    node_placement: NodePlacement = field(default_factory=NodePlacement)
    """Tolerations and priority of the node Agent, the same as the node collector's. The
    Operator appends override tolerations to the node Agent's pods and sets the priority class
    (internal/controller/datadogagent/override/podtemplatespec.go, Operator 1.29.0); it adds no
    toleration of its own."""

    agent_version: str = DATADOG_AGENT_VERSION
    """Image tag of the node Agent and the Cluster Agent."""

    health_check_paths: tuple[str, ...] = HEALTH_CHECK_PATHS
    """Request paths whose log lines the Agent drops."""

    def __post_init__(self) -> None:
        if self.site not in DATADOG_SITES:
            raise ValueError(f"unknown Datadog site {self.site!r}")
        if self.cluster_agent_replicas < 1:
            raise ValueError("the Cluster Agent needs at least one replica")
        instrumentation = self.features.apm_instrumentation
        # Single Step Instrumentation never injects into the Agent's own namespace (Datadog's
        # "Single Step APM Instrumentation on Kubernetes"): listing it would do nothing.
        if instrumentation is not None and self.namespace in instrumentation.namespaces:
            raise ValueError(
                f"Single Step Instrumentation skips the Agent's namespace {self.namespace!r}"
            )


def operator_release(settings: OperatorSettings) -> HelmReleaseSpec:
    """The Operator's Helm release; it also installs the DatadogAgent CRD."""
    return HelmReleaseSpec(
        name=OPERATOR_RELEASE_NAME,
        chart=OPERATOR_CHART,
        version=OPERATOR_CHART_VERSION,
        repository=OPERATOR_CHART_REPOSITORY,
        namespace=settings.namespace,
        values={
            "site": settings.site,
            "clusterName": settings.cluster_name,
            "apiKeyExistingSecret": settings.api_key_secret_name,
            "installCRDs": True,
            "resources": settings.resources.to_kubernetes(),
        },
    )


def log_processing_rules(health_check_paths: tuple[str, ...]) -> list[dict[str, str]]:
    """The Agent's log processing rules: drop DEBUG lines and health-check requests."""
    return [
        {"type": "exclude_at_match", "name": "exclude_debug", "pattern": DEBUG_LOG_PATTERN},
        {
            "type": "exclude_at_match",
            "name": "exclude_health_checks",
            "pattern": health_check_log_pattern(health_check_paths),
        },
    ]


def datadog_agent(settings: DatadogAgentSettings) -> dict[str, Any]:
    """The DatadogAgent object."""
    features = settings.features
    node_agent: dict[str, Any] = {
        "image": {"tag": settings.agent_version},
        "containers": {"agent": {"resources": settings.node_agent_resources.to_kubernetes()}},
        **settings.node_placement.to_pod_spec(),
    }
    if features.log_collection:
        node_agent["env"] = [
            {
                "name": "DD_LOGS_CONFIG_PROCESSING_RULES",
                "value": json.dumps(log_processing_rules(settings.health_check_paths)),
            }
        ]
    cluster_agent: dict[str, Any] = {
        "image": {"tag": settings.agent_version},
        "replicas": settings.cluster_agent_replicas,
        "containers": {
            "cluster-agent": {"resources": settings.cluster_agent_resources.to_kubernetes()}
        },
    }
    if settings.cluster_agent_replicas >= 2:
        # The Operator's budget keeps one Cluster Agent available (minAvailable 1: component/
        # clusteragent/utils.go, Operator 1.29.0). With a single replica that would forbid
        # every eviction of it and so block node drains, hence only from two replicas.
        cluster_agent["createPodDisruptionBudget"] = True
    apm: dict[str, Any] = {"enabled": features.apm}
    if features.apm_instrumentation is not None:
        apm["instrumentation"] = _instrumentation(features.apm_instrumentation)
    return {
        "apiVersion": "datadoghq.com/v2alpha1",
        "kind": "DatadogAgent",
        "metadata": {"name": settings.name, "namespace": settings.namespace},
        "spec": {
            "global": {
                "site": settings.site,
                "clusterName": settings.cluster_name,
                "tags": [f"env:{settings.environment}"],
                "credentials": {
                    "apiSecret": {
                        "secretName": settings.api_key_secret_name,
                        "keyName": API_KEY_SECRET_KEY,
                    }
                },
                # Written out although it is the Operator's default, as the node collector's is.
                "kubelet": {"tlsVerify": settings.kubelet_tls_verify},
                # The Operator writes the NetworkPolicies of the pods it runs, and adds to them
                # what each enabled feature needs (admission webhook, OTLP and APM host ports):
                # global/dependencies.go and feature/*/feature.go, Operator 1.29.0.
                "networkPolicy": {"create": True, "flavor": "kubernetes"},
            },
            "features": {
                "apm": apm,
                "otlp": {
                    "receiver": {
                        "protocols": {
                            "grpc": _otlp_protocol(
                                features.otlp.grpc, features.otlp.grpc_host_port
                            ),
                            "http": _otlp_protocol(
                                features.otlp.http, features.otlp.http_host_port
                            ),
                        }
                    }
                },
                "logCollection": {
                    "enabled": features.log_collection,
                    "containerCollectAll": features.container_collect_all,
                },
                "npm": {"enabled": features.npm},
                "cspm": {"enabled": features.cspm},
                "cws": {"enabled": features.cws},
            },
            "override": {"nodeAgent": node_agent, "clusterAgent": cluster_agent},
        },
    }


def operator_network_policy(
    operator: OperatorSettings, agent: DatadogAgentSettings
) -> dict[str, Any]:
    """The Operator pod's NetworkPolicy (its chart has none): in, its metrics for the node Agent
    and its liveness probe; out, DNS, and HTTPS to the API server and to Datadog, where it
    forwards its own metrics and events."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": OPERATOR_RELEASE_NAME,
            "namespace": operator.namespace,
            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY},
        },
        "spec": {
            "podSelector": {"matchLabels": operator_pod_labels()},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": node_agent_pod_labels(agent)}}],
                    "ports": [tcp_port(OPERATOR_METRICS_PORT)],
                },
                # The kubelet's probes come from the node.
                {"ports": [tcp_port(OPERATOR_HEALTH_PORT)]},
            ],
            "egress": [dns_egress_rule(), {"ports": [tcp_port(443)]}],
        },
    }


def operator_pod_labels() -> dict[str, str]:
    """The labels the chart selects the Operator's pod by (templates/deployment.yaml at
    datadog-operator-2.25.0: the chart's name and the release's)."""
    return {
        "app.kubernetes.io/name": OPERATOR_CHART,
        "app.kubernetes.io/instance": OPERATOR_RELEASE_NAME,
    }


def node_agent_pod_labels(agent: DatadogAgentSettings) -> dict[str, str]:
    """The labels of the node Agent's pods, as the Operator's own NetworkPolicies select them
    (GetNetworkPolicyMetadata in component/objects/network.go, Operator 1.29.0): the component,
    and `part-of` naming the DatadogAgent as <namespace>-<name>, with a `-` inside either
    doubled (object/partof.go)."""
    part_of = "-".join(part.replace("-", "--") for part in (agent.namespace, agent.name))
    return {"agent.datadoghq.com/component": "agent", "app.kubernetes.io/part-of": part_of}


def _instrumentation(instrumentation: ApmInstrumentation) -> dict[str, Any]:
    # One target (Cluster Agent 7.64 or later, which the Operator checks against the Cluster
    # Agent's image tag: feature/apm/feature.go, Operator 1.29.0): only the listed namespaces,
    # and only Python, as naming a language's version limits injection to the languages named.
    return {
        "enabled": True,
        "targets": [
            {
                "name": "python",
                "namespaceSelector": {"matchNames": list(instrumentation.namespaces)},
                "ddTraceVersions": {"python": instrumentation.ddtrace_version},
            }
        ],
    }


def _otlp_protocol(enabled: bool, host_port: int | None) -> dict[str, Any]:
    host_port_config: dict[str, Any] = {"enabled": host_port is not None}
    if host_port is not None:
        host_port_config["hostPort"] = host_port
    return {"enabled": enabled, "hostPortConfig": host_port_config}
