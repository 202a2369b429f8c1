"""The namespace of the telemetry workloads and the Secret holding the Datadog API key."""

import base64
from typing import Any

import pulumi

from components.eks.args import DatadogNamespaceArgs
from components.eks.kubernetes_objects import kubernetes_object
from components.eks.manifests import API_KEY_SECRET_KEY, MANAGED_BY

_LABELS = {"app.kubernetes.io/managed-by": MANAGED_BY}


def namespace_object(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **_LABELS,
                # The node collector and the Agent read host paths (pod logs, the container
                # runtime) and system-probe needs privileges: a stricter cluster-wide Pod Security
                # default would refuse their pods, so this namespace states what it needs.
                "pod-security.kubernetes.io/enforce": "privileged",
            },
        },
    }


def api_key_secret_object(namespace: str, name: str, api_key: pulumi.Input[str]) -> dict[str, Any]:
    """The Secret, its one key under `api-key` (the name Datadog's charts and Operator expect)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": _LABELS},
        "type": "Opaque",
        "data": {API_KEY_SECRET_KEY: pulumi.Output.secret(api_key).apply(_base64)},
    }


class DatadogNamespace(pulumi.ComponentResource):
    """A namespace and, unless an existing Secret is named, a Secret with the API key."""

    namespace: pulumi.Output[str]
    """Name of the namespace."""
    api_key_secret_name: pulumi.Output[str]
    """The Secret the workloads read the key from."""

    def __init__(
        self, name: str, args: DatadogNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:eks:DatadogNamespace", name, None, opts)
        namespace = kubernetes_object(
            f"{name}-namespace", namespace_object(args.name), pulumi.ResourceOptions(parent=self)
        )
        self.namespace = namespace.id.apply(lambda _: args.name)
        self.api_key_secret_name = pulumi.Output.from_input(args.api_key_secret_name)
        if args.api_key is not None:
            secret = kubernetes_object(
                f"{name}-api-key",
                api_key_secret_object(args.name, args.api_key_secret_name, args.api_key),
                pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
            )
            self.api_key_secret_name = secret.id.apply(lambda _: args.api_key_secret_name)
        self.register_outputs(
            {"namespace": self.namespace, "api_key_secret_name": self.api_key_secret_name}
        )


def _base64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()
