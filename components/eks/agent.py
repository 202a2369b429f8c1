"""The Datadog Agent on EKS: the Operator's Helm release and NetworkPolicy, one `DatadogAgent`."""

import pulumi
import pulumi_kubernetes as kubernetes

from components.eks.args import AgentArgs
from components.eks.datadog_agent import datadog_agent, operator_network_policy, operator_release
from components.eks.kubernetes_objects import kubernetes_object


class DatadogOperatorAgent(pulumi.ComponentResource):
    """The Operator (which installs the DatadogAgent CRD) with its NetworkPolicy, and the
    DatadogAgent it reconciles."""

    operator_release_name: pulumi.Output[str | None]
    """Helm release name of the Operator."""
    datadog_agent_name: pulumi.Output[str]
    """Name of the DatadogAgent object; the Operator prefixes the Agent workloads with it."""

    def __init__(
        self, name: str, args: AgentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        release_spec = operator_release(args.operator)
        agent = datadog_agent(args.agent)
        super().__init__("observability:eks:DatadogOperatorAgent", name, None, opts)
        # In place before the Operator starts, so it never runs unrestricted.
        network_policy = kubernetes_object(
            f"{name}-operator-networkpolicy",
            operator_network_policy(args.operator, args.agent),
            pulumi.ResourceOptions(parent=self),
        )
        release = kubernetes.helm.v3.Release(
            f"{name}-operator",
            name=release_spec.name,
            chart=release_spec.chart,
            version=release_spec.version,
            repository_opts=kubernetes.helm.v3.RepositoryOptsArgs(repo=release_spec.repository),
            namespace=release_spec.namespace,
            values=release_spec.values,
            # A failed upgrade rolls back instead of leaving a half-upgraded Operator behind.
            atomic=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[network_policy]),
        )
        # The release waits until the Operator runs, and it installs the CRD this object needs.
        custom_resource = kubernetes.apiextensions.CustomResource(
            f"{name}-datadogagent",
            api_version=agent["apiVersion"],
            kind=agent["kind"],
            metadata=agent["metadata"],
            spec=agent["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
        )
        self.operator_release_name = release.name
        self.datadog_agent_name = custom_resource.id.apply(lambda _: args.agent.name)
        self.register_outputs(
            {
                "operator_release_name": self.operator_release_name,
                "datadog_agent_name": self.datadog_agent_name,
            }
        )
