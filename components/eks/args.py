"""Typed inputs of the EKS components, and the rule that the collector and Agent never overlap.

The builders' settings (`CollectorParameters`, `NodeCollectorSettings`, `DatadogAgentSettings`, ...)
each carry the namespace and the API key Secret they use; `EksObservabilityArgs` checks that they
all agree with the namespace component that creates them.
"""

from dataclasses import dataclass
from enum import StrEnum

import pulumi

from components.eks.collector_config import (
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    ClusterCollectorSettings,
    NodeCollectorSettings,
)
from components.eks.datadog_agent import DatadogAgentSettings, OperatorSettings
from components.eks.manifests import CollectorParameters

DEFAULT_NAMESPACE = "datadog"
DEFAULT_API_KEY_SECRET_NAME = "datadog-api-key"


@dataclass(frozen=True)
class ClusterAccessArgs:
    """How Pulumi reaches the cluster."""

    cluster_name: str
    """EKS cluster name: looked up for its endpoint and CA, and passed to `aws eks get-token`."""

    kubeconfig_context: str | None = None
    """Use this context of the ambient kubeconfig instead of the EKS lookup."""

    kubernetes_version: str | None = None
    """The version the stack's objects are validated against; a cluster found running another
    version gets a warning, because then the offline checks use the wrong schemas."""


@dataclass(frozen=True)
class DatadogNamespaceArgs:
    """The namespace of the telemetry workloads and the Secret with the Datadog API key."""

    name: str = DEFAULT_NAMESPACE
    """Namespace to create."""

    api_key: pulumi.Input[str] | None = None
    """The key to store in a new Secret (kept secret); None with `existing_api_key_secret_name`."""

    existing_api_key_secret_name: str | None = None
    """A Secret already in the namespace (e.g. synced from Secrets Manager) with key `api-key`."""

    def __post_init__(self) -> None:
        if (self.api_key is None) == (self.existing_api_key_secret_name is None):
            raise ValueError("give exactly one of api_key and existing_api_key_secret_name")

    @property
    def api_key_secret_name(self) -> str:
        """The Secret every workload reads the key from."""
        return self.existing_api_key_secret_name or DEFAULT_API_KEY_SECRET_NAME


@dataclass(frozen=True)
class CollectorArgs:
    """Inputs of `OpenTelemetryCollector`: the builders' settings for both collectors."""

    params: CollectorParameters
    node: NodeCollectorSettings
    cluster: ClusterCollectorSettings


@dataclass(frozen=True)
class AgentArgs:
    """Inputs of `DatadogOperatorAgent`."""

    operator: OperatorSettings
    agent: DatadogAgentSettings


class Overlap(StrEnum):
    """Data the collector and the Agent would both collect."""

    CONTAINER_LOGS = "container logs"
    OTLP_GRPC_HOST_PORT = "OTLP/gRPC host port"
    OTLP_HTTP_HOST_PORT = "OTLP/HTTP host port"


@dataclass(frozen=True)
class CollectionOverlap:
    what: Overlap
    reason: str
    """Why this is double collection, without naming config keys (callers add those)."""


def collection_overlaps(
    collector: CollectorArgs | None, agent: AgentArgs | None
) -> list[CollectionOverlap]:
    """What the collectors and the Agent (None: not deployed) would both collect."""
    if collector is None or agent is None:
        return []
    node, features = collector.node, agent.agent.features
    overlaps = []
    if node.collect_container_logs and features.log_collection:
        overlaps.append(
            CollectionOverlap(
                Overlap.CONTAINER_LOGS,
                "the OpenTelemetry Collector already tails every container's log files on each "
                "node; the Agent tailing them too would ship, and bill, every log line twice",
            )
        )
    host_ports = (
        (Overlap.OTLP_GRPC_HOST_PORT, features.otlp.grpc_host_port),
        (Overlap.OTLP_HTTP_HOST_PORT, features.otlp.http_host_port),
    )
    for what, port in host_ports:
        if port in (OTLP_GRPC_PORT, OTLP_HTTP_PORT):
            overlaps.append(
                CollectionOverlap(
                    what,
                    f"the OpenTelemetry Collector takes OTLP on port {port} on every node; with "
                    f"the Agent also on host port {port}, applications reach two different "
                    "receivers on the same port and telemetry sent to both is ingested twice "
                    "(duplicate hosts and metrics)",
                )
            )
    return overlaps


@dataclass(frozen=True)
class EksObservabilityArgs:
    """Inputs of `EksObservability`: the cluster, the namespace, and what runs in it."""

    access: ClusterAccessArgs
    """How Pulumi reaches the cluster."""

    namespace: DatadogNamespaceArgs
    """Namespace and API key Secret."""

    collector: CollectorArgs | None = None
    """The OpenTelemetry Collectors, or None."""

    agent: AgentArgs | None = None
    """The Datadog Operator and Agent, or None."""

    def __post_init__(self) -> None:
        if self.collector is None and self.agent is None:
            raise ValueError("neither the collector nor the Agent: nothing would run")
        expected = (
            self.namespace.name,
            self.namespace.api_key_secret_name,
            self.access.cluster_name,
        )
        placements: list[tuple[str, tuple[str, str, str]]] = []
        if self.collector is not None:
            params = self.collector.params
            placements += [
                (
                    f"{role} collector",
                    (params.namespace, params.api_key_secret_name, settings.cluster_name),
                )
                for role, settings in (
                    ("node", self.collector.node.collector),
                    ("cluster", self.collector.cluster.collector),
                )
            ]
        if self.agent is not None:
            operator, agent = self.agent.operator, self.agent.agent
            placements += [
                (
                    "Operator",
                    (operator.namespace, operator.api_key_secret_name, operator.cluster_name),
                ),
                ("DatadogAgent", (agent.namespace, agent.api_key_secret_name, agent.cluster_name)),
            ]
        for what, actual in placements:
            if actual != expected:
                raise ValueError(
                    f"the {what} must use (namespace, API key Secret, cluster) {expected}, "
                    f"not {actual}"
                )
        if self.collector is not None and self.agent is not None:
            collector_nodes = self.collector.params.node_placement
            agent_nodes = self.agent.agent.node_placement
            if collector_nodes != agent_nodes:
                raise ValueError(
                    "the node collector and the node Agent must run on the same nodes: "
                    f"{collector_nodes} differs from {agent_nodes}"
                )
        overlaps = collection_overlaps(self.collector, self.agent)
        if overlaps:
            raise ValueError("; ".join(f"{o.what}: {o.reason}" for o in overlaps))
