"""The OpenTelemetry Collectors on EKS: every object `manifests.collector_objects` builds."""

import pulumi

from components.eks.args import CollectorArgs
from components.eks.kubernetes_objects import kubernetes_object
from components.eks.manifests import CollectorRole, collector_objects, otlp_endpoint

_WORKLOAD_KINDS = frozenset({"DaemonSet", "Deployment"})
_ROLE_LABEL = "app.kubernetes.io/component"
_ROLE_NAMES = {CollectorRole.NODE: "node", CollectorRole.CLUSTER: "cluster"}


class OpenTelemetryCollector(pulumi.ComponentResource):
    """A node collector DaemonSet behind a node-local OTLP Service, and one cluster collector."""

    otlp_endpoint: pulumi.Output[str]
    """OTLP/gRPC endpoint for applications (`OTEL_EXPORTER_OTLP_ENDPOINT`)."""
    otlp_http_endpoint: pulumi.Output[str]
    """OTLP/HTTP endpoint, for SDKs configured with `http/protobuf`."""

    def __init__(
        self, name: str, args: CollectorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        objects = collector_objects(args.params, args.node, args.cluster)
        super().__init__("observability:eks:OpenTelemetryCollector", name, None, opts)
        registered: dict[tuple[CollectorRole, str], pulumi.CustomResource] = {}
        for obj in objects:
            role = CollectorRole(obj["metadata"]["labels"][_ROLE_LABEL])
            kind = obj["kind"]
            # A workload waits for its ServiceAccount, RBAC, configuration and NetworkPolicy, so
            # its pods start with everything they use instead of crash-looping until it exists.
            prerequisites = (
                [r for (r_role, _), r in registered.items() if r_role == role]
                if kind in _WORKLOAD_KINDS
                else None
            )
            registered[(role, kind)] = kubernetes_object(
                f"{name}-{_ROLE_NAMES[role]}-{kind.lower()}",
                obj,
                pulumi.ResourceOptions(parent=self, depends_on=prerequisites),
            )
        service = registered[(CollectorRole.NODE, "Service")]
        # Known from the parameters, but only usable once the Service exists.
        self.otlp_endpoint = service.id.apply(lambda _: otlp_endpoint(args.params, "grpc"))
        self.otlp_http_endpoint = service.id.apply(
            lambda _: otlp_endpoint(args.params, "http/protobuf")
        )
        self.register_outputs(
            {"otlp_endpoint": self.otlp_endpoint, "otlp_http_endpoint": self.otlp_http_endpoint}
        )
