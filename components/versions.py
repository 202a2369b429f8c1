"""Versions the project pins in more than one place, so that they cannot drift apart."""

DATADOG_AGENT_VERSION = "7.81.1"
"""The Datadog Agent everywhere: the ECS sidecar image and, on EKS, the node Agent and the Cluster
Agent (whose releases move together). 7.81.1 is the release the Datadog Operator's own sources
default to (Operator 1.29), so the Operator runs the Agent it was tested with."""

DEFAULT_KUBERNETES_VERSION = "1.30"
"""Kubernetes minor version a stack's objects are validated against unless its EKS section names
another (`observability:eks.kubernetesVersion`)."""
