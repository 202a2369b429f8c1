"""The Kubernetes provider for an existing EKS cluster, which every Kubernetes resource uses."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from components.eks.args import ClusterAccessArgs

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def eks_kubeconfig(
    *, cluster_name: str, region: str, endpoint: str, certificate_authority_data: str
) -> dict[str, Any]:
    """A kubeconfig whose user fetches a short-lived token with `aws eks get-token`.

    Nothing in it is a credential: the AWS CLI fetches a token at each connection with the AWS
    credentials in the environment of whoever runs Pulumi (AWS_PROFILE, AWS_* variables, the CI's
    OIDC role), which need an access entry on the cluster.
    """
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": certificate_authority_data,
                },
            }
        ],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": "aws"}}],
        "current-context": cluster_name,
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": EXEC_API_VERSION,
                        "command": "aws",
                        # --output json: a user whose AWS CLI defaults to text or table output
                        # would otherwise hand kubectl a token it cannot parse.
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }


def version_mismatch(declared: str, running: str) -> str | None:
    """A warning when the cluster runs another Kubernetes minor version than the stack declares."""
    if running == declared:
        return None
    return (
        f"cluster runs Kubernetes {running} but the stack declares {declared}: the offline checks "
        f"validate its objects against the {declared} schemas; set kubernetesVersion to {running}"
    )


class EksClusterAccess(pulumi.ComponentResource):
    """A Kubernetes provider for one EKS cluster, from its name or from a kubeconfig context."""

    provider: kubernetes.Provider
    """Pass to the Kubernetes resources (as `providers=[...]` on their parent component)."""
    endpoint: pulumi.Output[str | None]
    """API server URL from the EKS lookup; None with a kubeconfig context."""

    def __init__(
        self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:eks:EksClusterAccess", name, None, opts)
        kubeconfig: pulumi.Output[str] | None = None
        self.endpoint = pulumi.Output.from_input(None)
        if args.kubeconfig_context is None:
            invoke_opts = pulumi.InvokeOutputOptions(parent=self)
            cluster = aws.eks.get_cluster_output(name=args.cluster_name, opts=invoke_opts)
            region = aws.get_region_output(opts=invoke_opts).region
            # Output.all hands nested invoke results over as plain dicts: take the CA out first.
            certificate_authority = cluster.certificate_authorities.apply(lambda cas: cas[0].data)
            kubeconfig = pulumi.Output.all(
                endpoint=cluster.endpoint, ca=certificate_authority, region=region
            ).apply(
                lambda v: json.dumps(
                    eks_kubeconfig(
                        cluster_name=args.cluster_name,
                        region=v["region"],
                        endpoint=v["endpoint"],
                        certificate_authority_data=v["ca"],
                    )
                )
            )
            self.endpoint = cluster.endpoint
            if args.kubernetes_version is not None:
                declared = args.kubernetes_version
                cluster.version.apply(lambda running: _warn(version_mismatch(declared, running)))
        # Without a kubeconfig the provider reads the ambient one ($KUBECONFIG, ~/.kube/config).
        self.provider = kubernetes.Provider(
            f"{name}-provider",
            kubeconfig=kubeconfig,
            context=args.kubeconfig_context,
            # The provider, and with it every Kubernetes object, is replaced only when the cluster
            # changes, not when its endpoint, CA or the way Pulumi authenticates changes.
            cluster_identifier=args.cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"endpoint": self.endpoint})


def _warn(message: str | None) -> None:
    if message is not None:
        pulumi.log.warn(message)
