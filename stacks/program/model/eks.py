"""`observability:eks`: the cluster, the OpenTelemetry Collector and the Datadog Agent."""

from typing import Annotated, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from components.eks.args import DEFAULT_NAMESPACE
from components.eks.collector_config import OTLP_GRPC_PORT, OTLP_HTTP_PORT
from components.eks.datadog_agent import DD_TRACE_PY_VERSION
from components.eks.manifests import (
    ContainerResources,
    TaintEffect,
    Toleration,
    TolerationOperator,
    go_memory_limit,
)
from components.versions import DEFAULT_KUBERNETES_VERSION
from stacks.program.errors import NAMESPACE
from stacks.program.model.types import (
    CpuQuantity,
    DdTraceVersion,
    EksClusterName,
    HostPort,
    KubernetesVersion,
    LabelKey,
    LabelValue,
    MemoryQuantity,
    Model,
    NamespaceName,
    PriorityClassName,
    SecretName,
    WorkloadNamespaceName,
)


class QuantitySettings(Model):
    """CPU and memory, as Kubernetes quantities."""

    cpu: CpuQuantity
    """CPU, e.g. 250m (a quarter core) or 1."""
    memory: MemoryQuantity
    """Memory, e.g. 512Mi or 1Gi."""


class ResourceSettings(Model):
    """Requests and limits of a container."""

    requests: QuantitySettings
    """What the scheduler reserves on the node."""
    limits: QuantitySettings
    """Ceilings: CPU is throttled above its limit, the container is killed above its memory."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Self:
        # The builder's own rule; raises when a request exceeds its limit.
        ContainerResources(
            self.requests.cpu, self.requests.memory, self.limits.cpu, self.limits.memory
        )
        return self


def _resources(requests: tuple[str, str], limits: tuple[str, str]) -> ResourceSettings:
    """Requests and limits as (cpu, memory), for defaults."""
    return ResourceSettings.model_validate(
        {
            "requests": {"cpu": requests[0], "memory": requests[1]},
            "limits": {"cpu": limits[0], "memory": limits[1]},
        }
    )


class TolerationSettings(Model):
    """A taint the node workloads tolerate, as in a pod spec."""

    key: LabelKey | None = None
    """Taint key; omitted with operator Exists, every taint is tolerated."""
    operator: TolerationOperator = "Exists"
    """Exists matches any value; Equal needs `value`."""
    value: LabelValue | None = None
    """Taint value, with operator Equal."""
    effect: TaintEffect | None = None
    """Taint effect; omitted, every effect."""

    @model_validator(mode="after")
    def _valid_toleration(self) -> Self:
        Toleration(key=self.key, operator=self.operator, value=self.value, effect=self.effect)
        return self


class CollectorBatchSettings(Model):
    """Batching before the Datadog exporter. Batches that are too large get HTTP 413 from the
    intake; the defaults are Datadog's own example."""

    send_batch_size: int = Field(100, gt=0)
    """Items that trigger a send."""
    send_batch_max_size: int = Field(1000, gt=0)
    """Upper bound of one batch."""
    timeout_seconds: int = Field(10, gt=0)
    """Longest wait before a partial batch is sent."""

    @model_validator(mode="after")
    def _size_within_max(self) -> Self:
        if self.send_batch_size > self.send_batch_max_size:
            raise ValueError(
                f"sendBatchSize {self.send_batch_size} is larger than sendBatchMaxSize "
                f"{self.send_batch_max_size}"
            )
        return self


def _collector_memory(value: ResourceSettings) -> ResourceSettings:
    # GOMEMLIMIT is derived from the memory limit and must leave the collector something.
    go_memory_limit(value.limits.memory)
    return value


CollectorResources = Annotated[ResourceSettings, AfterValidator(_collector_memory)]


class EksCollectorSettings(Model):
    """The OpenTelemetry Collectors: a DaemonSet on every EC2 node (OTLP, logs, kubelet and
    Prometheus metrics) and one Deployment for the cluster-wide metrics and events."""

    enabled: bool = True
    """Deploy the collectors."""
    container_logs: bool = True
    """Tail every pod's log files on each node. Off when the Agent collects logs."""
    prometheus_scrape: bool = True
    """Scrape pods annotated `prometheus.io/scrape: "true"` on the collector's node."""
    kubelet_stats: bool = True
    """Pod and container resource metrics from each node's kubelet."""
    kubernetes_events: bool = True
    """Ship Kubernetes events as logs (from the cluster collector, once per cluster)."""
    batch: CollectorBatchSettings = CollectorBatchSettings()
    """Batching before export."""
    resources: CollectorResources = _resources(("200m", "512Mi"), ("500m", "1Gi"))
    """Resources of each node collector pod; GOMEMLIMIT is 80 % of the memory limit."""
    cluster_collector_resources: CollectorResources = _resources(("200m", "512Mi"), ("500m", "1Gi"))
    """Resources of the cluster collector pod."""


class NodeDaemonSetSettings(Model):
    """Where the workloads meant for every node run: the node collector and the node Agent take
    the same settings, so that neither misses nodes the other covers."""

    tolerations: list[TolerationSettings] = []
    """Taints both tolerate, e.g. [{key: dedicated, operator: Equal, value: payments, effect:
    NoSchedule}], or [{operator: Exists}] for every node. Kubernetes adds only the
    node.kubernetes.io/* ones (not-ready, pressure, unschedulable) by itself."""
    priority_class_name: PriorityClassName | None = None
    """PriorityClass of both, e.g. system-node-critical, so that a full node makes room for them;
    omitted, the default priority (as in Datadog's and the Collector's Helm charts)."""


class AgentOtlpSettings(Model):
    """The Agent's own OTLP receiver (applications normally send OTLP to the collector)."""

    grpc: bool = False
    """Accept OTLP/gRPC."""
    http: bool = False
    """Accept OTLP/HTTP."""
    grpc_host_port: HostPort | None = None
    """Open this host port for OTLP/gRPC; omitted, no host port."""
    http_host_port: HostPort | None = None
    """Open this host port for OTLP/HTTP; omitted, no host port."""

    @field_validator("grpc_host_port", "http_host_port")
    @classmethod
    def _port_of_an_open_receiver(cls, value: int | None, info: ValidationInfo) -> int | None:
        protocol = "grpc" if info.field_name == "grpc_host_port" else "http"
        if value is not None and not info.data.get(protocol):
            raise ValueError(f"needs {protocol}: true (a host port of a closed receiver)")
        if value is not None and protocol == "http" and value == info.data.get("grpc_host_port"):
            raise ValueError(f"{value} is grpcHostPort too; gRPC and HTTP need a port each")
        return value


class AgentLogCollectionSettings(Model):
    """Container log collection by the Agent."""

    enabled: bool = False
    """Tail container logs (drops DEBUG lines and health checks). Only one of the Agent and the
    collector may tail them."""
    container_collect_all: bool = True
    """Every container, not only those annotated for log collection."""


class AgentApmInstrumentationSettings(Model):
    """APM Single Step Instrumentation of Python workloads: the Cluster Agent's admission
    controller adds ddtrace to every new pod of the listed namespaces, without a change to the
    application's image. For workloads without a tracer of their own: it turns itself off in a
    process that already has ddtrace or an OpenTelemetry SDK."""

    namespaces: list[WorkloadNamespaceName] = Field(min_length=1)
    """The namespaces whose pods get ddtrace, e.g. [shop, payments]; no other namespace is
    touched. Pods already running are instrumented when they are next restarted."""
    ddtrace_version: DdTraceVersion = DD_TRACE_PY_VERSION
    """The ddtrace release injected, as on PyPI; pinned, so that a new release reaches the
    workloads only when the stack names it."""

    def field_problems(self) -> dict[str, str]:
        first: dict[str, int] = {}
        problems = {}
        for index, namespace in enumerate(self.namespaces):
            if namespace in first:
                problems[f"namespaces.{index}"] = (
                    f"{namespace!r} is listed twice (also namespaces[{first[namespace]}])"
                )
            first.setdefault(namespace, index)
        return problems


class AgentFeatureSettings(Model):
    """Agent features, each switchable."""

    apm: bool = True
    """Receive ddtrace traces over the Agent's Unix socket."""
    apm_instrumentation: AgentApmInstrumentationSettings | None = None
    """Inject ddtrace into the Python pods of some namespaces; omitted, nothing is injected."""
    otlp: AgentOtlpSettings = AgentOtlpSettings()
    """The Agent's OTLP receiver."""
    log_collection: AgentLogCollectionSettings = AgentLogCollectionSettings()
    """Container logs."""
    npm: bool = False
    """Network Performance Monitoring (system-probe, privileged)."""
    cspm: bool = False
    """Cloud Security Posture Management."""
    cws: bool = False
    """Cloud Workload Security (system-probe, privileged)."""

    def field_problems(self) -> dict[str, str]:
        if self.apm_instrumentation is not None and not self.apm:
            return {
                "apm_instrumentation": "needs apm: true; the Operator ignores the instrumentation "
                "of an APM feature that is off"
            }
        return {}


class EksAgentSettings(Model):
    """The Datadog Agent, through the Datadog Operator."""

    enabled: bool = True
    """Deploy the Operator and the Agent."""
    features: AgentFeatureSettings = AgentFeatureSettings()
    """What the Agent collects."""
    cluster_agent_replicas: int = Field(2, ge=1)
    """Cluster Agent replicas; two keep admission control and cluster checks up through a node
    drain, one is enough for a dev cluster."""
    node_agent_resources: ResourceSettings = _resources(("200m", "256Mi"), ("500m", "512Mi"))
    """Resources of the node Agent's main container."""
    cluster_agent_resources: ResourceSettings = _resources(("100m", "256Mi"), ("300m", "512Mi"))
    """Resources of each Cluster Agent."""


class EksSettings(Model):
    """`observability:eks`: telemetry workloads on an existing EKS cluster; omit for none."""

    cluster_name: EksClusterName
    """The cluster: looked up for its endpoint and CA, and its name tags all telemetry."""
    kubeconfig_context: str | None = Field(None, min_length=1)
    """Reach the cluster through this context of the kubeconfig of whoever runs Pulumi, instead
    of the EKS lookup and `aws eks get-token`."""
    kubernetes_version: KubernetesVersion = DEFAULT_KUBERNETES_VERSION
    """The cluster's Kubernetes minor version, quoted; objects are validated against it."""
    namespace: NamespaceName = DEFAULT_NAMESPACE
    """Namespace the stack creates for the collectors, the Operator and the Agent."""
    existing_api_key_secret_name: SecretName | None = None
    """A Secret in the namespace holding the API key under `api-key` (e.g. synced from Secrets
    Manager); omitted, the stack creates `datadog-api-key` from datadog:apiKey."""
    node_daemon_sets: NodeDaemonSetSettings = NodeDaemonSetSettings()
    """Tolerations and priority of the node collector and the node Agent."""
    kubelet_tls_verify: bool = True
    """Verify each kubelet's serving certificate, in the node collector's kubelet metrics and the
    node Agent alike. EKS's AMIs have the kubelet request it from the cluster (signed by the
    cluster CA, naming the node's IPs); false only for nodes whose kubelet signs its own."""
    collector: EksCollectorSettings = EksCollectorSettings()
    """The OpenTelemetry Collectors."""
    agent: EksAgentSettings = EksAgentSettings()
    """The Datadog Agent."""
    dashboard: bool = True
    """A Datadog dashboard of the Collectors and the Agent: accepted and refused data, exporter
    queues and failures, memory."""

    def field_problems(self) -> dict[str, str]:
        collector, agent = self.collector, self.agent
        if not collector.enabled and not agent.enabled:
            return {
                "": "collector.enabled and agent.enabled are both false, so nothing would run on "
                f"the cluster; remove {NAMESPACE}:eks instead"
            }
        features = agent.features
        problems = {}
        instrumentation = features.apm_instrumentation
        if instrumentation is not None and self.namespace in instrumentation.namespaces:
            index = instrumentation.namespaces.index(self.namespace)
            problems[f"agent.features.apm_instrumentation.namespaces.{index}"] = (
                f"{self.namespace!r} is the Agent's own namespace, which Single Step "
                "Instrumentation never injects into; list the namespaces of your workloads"
            )
        if not (collector.enabled and agent.enabled):
            return problems
        # Both running is valid Kubernetes, so the components allow it (a migration from one to
        # the other may want it for a while); a stack refuses to collect anything twice.
        if collector.container_logs and features.log_collection.enabled:
            problems["agent.features.log_collection.enabled"] = (
                "the OpenTelemetry Collector already tails every container's log files on each "
                "node; the Agent tailing them too would ship, and bill, every log line twice; "
                "keep one: set collector.containerLogs or agent.features.logCollection.enabled to "
                "false"
            )
        for field, port, instead in (
            ("grpc_host_port", features.otlp.grpc_host_port, 14317),
            ("http_host_port", features.otlp.http_host_port, 14318),
        ):
            if port in (OTLP_GRPC_PORT, OTLP_HTTP_PORT):
                problems[f"agent.features.otlp.{field}"] = (
                    f"the OpenTelemetry Collector takes OTLP on port {port} on every node; with "
                    f"the Agent also on host port {port}, applications reach two different "
                    "receivers on the same port and telemetry sent to both is ingested twice "
                    f"(duplicate hosts and metrics); give the Agent another host port (e.g. "
                    f"{instead}) or none"
                )
        return problems
