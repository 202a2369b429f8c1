"""Typed inputs of the EKS components.

The builders' settings (`CollectorParameters`, `NodeCollectorSettings`, `DatadogAgentSettings`, ...)
each carry the namespace and the API key Secret they use; `EksObservabilityArgs` checks that they
all agree with the namespace component that creates them.
"""

from dataclasses import dataclass

import pulumi

from components.eks.collector_config import (
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
