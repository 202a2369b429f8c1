"""Versions the project pins in more than one place, so that they cannot drift apart."""

DATADOG_AGENT_VERSION = "7.81.2"
"""The Datadog Agent everywhere: the ECS sidecar image and, on EKS, the node Agent and the Cluster
Agent (whose releases move together). 7.81.2 is the version Operator 1.29.0 (the one chart 2.25.0
ships) runs by default: `AgentLatestVersion` and `ClusterAgentLatestVersion` in
DataDog/datadog-operator's pkg/images/images.go at tag v1.29.0, so the Operator runs the Agent it
was released with."""

DEFAULT_KUBERNETES_VERSION = "1.30"
"""Kubernetes minor version a stack's objects are validated against unless its EKS section names
another (`observability:eks.kubernetesVersion`)."""
