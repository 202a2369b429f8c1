"""Everything the stack runs on one EKS cluster, each part in its own component."""

import pulumi

from components.eks.agent import DatadogOperatorAgent
from components.eks.args import EksObservabilityArgs
from components.eks.cluster_access import EksClusterAccess
from components.eks.collector import OpenTelemetryCollector
from components.eks.namespace import DatadogNamespace


class EksObservability(pulumi.ComponentResource):
    """Cluster access, the namespace and API key Secret, the collectors and the Datadog Agent."""

    namespace: pulumi.Output[str]
    """Namespace of the telemetry workloads."""
    otlp_endpoint: pulumi.Output[str | None]
    """OTLP/gRPC endpoint of the collector for applications; None without the collector."""

    def __init__(
        self, name: str, args: EksObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:eks:EksObservability", name, None, opts)
        access = EksClusterAccess(
            f"{name}-cluster", args.access, pulumi.ResourceOptions(parent=self)
        )
        # Children inherit the provider from their parent component: no Kubernetes object can
        # fall back to the default provider, which would use whatever cluster the shell points at.
        on_cluster = pulumi.ResourceOptions(parent=self, providers=[access.provider])
        namespace = DatadogNamespace(f"{name}-namespace", args.namespace, on_cluster)
        in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        self.namespace = namespace.namespace
        self.otlp_endpoint = pulumi.Output.from_input(None)
        if args.collector is not None:
            collector = OpenTelemetryCollector(f"{name}-collector", args.collector, in_namespace)
            self.otlp_endpoint = collector.otlp_endpoint
        if args.agent is not None:
            DatadogOperatorAgent(f"{name}-agent", args.agent, in_namespace)
        self.register_outputs({"namespace": self.namespace, "otlp_endpoint": self.otlp_endpoint})
