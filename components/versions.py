"""Versions the project pins in more than one place, so that they cannot drift apart."""

from datetime import date
from typing import Final

DATADOG_AGENT_VERSION = "7.81.2"
"""The Datadog Agent everywhere: the ECS sidecar image (and its Workload Protection tracer,
cws-instrumentation, released with each Agent) and, on EKS, the node Agent and the Cluster Agent
(whose releases move together). 7.81.2 is the version Operator 1.29.0 (the one chart 2.25.0
ships) runs by default: `AgentLatestVersion` and `ClusterAgentLatestVersion` in
DataDog/datadog-operator's pkg/images/images.go at tag v1.29.0, so the Operator runs the Agent it
was released with."""

DEFAULT_KUBERNETES_VERSION = "1.34"
"""Kubernetes minor version a stack's objects are validated against unless its EKS section names
another (`observability:eks.kubernetesVersion`)."""

EKS_SUPPORT_ENDS: Final = {
    "1.29": date(2026, 3, 23),
    "1.30": date(2026, 7, 23),
    "1.31": date(2026, 11, 26),
    "1.32": date(2027, 3, 23),
    "1.33": date(2027, 7, 29),
    "1.34": date(2027, 12, 2),
    "1.35": date(2028, 3, 27),
}
"""When EKS's extended support of each Kubernetes minor version ends (26 months after its EKS
release: 14 of standard support, 12 of extended, per AWS's "Understand the Kubernetes version
lifecycle on EKS"; dates from endoflife.date/amazon-eks). After it EKS upgrades the cluster by
itself, so a stack naming that version validates its objects against a Kubernetes the cluster no
longer runs. Versions older than these have ended too; newer ones are too recent to be listed."""
