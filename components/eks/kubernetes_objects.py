"""Typed pulumi_kubernetes resources from the builders' plain object dicts.

Typed resources (not `yaml.ConfigGroup` or `helm.v4.Chart`) are what the engine, the offline plan
and the tests see field by field, and each object's top-level fields become the resource's keyword
arguments (`roleRef` -> `role_ref=`); the SDK puts `apiVersion` and `kind` back on the wire.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

_RESOURCE_TYPES: Mapping[tuple[str, str], Callable[..., pulumi.CustomResource]] = {
    ("v1", "Namespace"): kubernetes.core.v1.Namespace,
    ("v1", "Secret"): kubernetes.core.v1.Secret,
    ("v1", "ServiceAccount"): kubernetes.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): kubernetes.core.v1.ConfigMap,
    ("v1", "Service"): kubernetes.core.v1.Service,
    ("apps/v1", "DaemonSet"): kubernetes.apps.v1.DaemonSet,
    ("apps/v1", "Deployment"): kubernetes.apps.v1.Deployment,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): kubernetes.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): kubernetes.rbac.v1.ClusterRoleBinding,
    ("networking.k8s.io/v1", "NetworkPolicy"): kubernetes.networking.v1.NetworkPolicy,
}
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def kubernetes_object(
    resource_name: str, obj: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """Register `obj` (a Kubernetes object dict; values may be Outputs) as its typed resource."""
    api_version, kind = obj["apiVersion"], obj["kind"]
    resource_type = _RESOURCE_TYPES.get((api_version, kind))
    if resource_type is None:
        raise ValueError(f"no typed resource registered for {api_version} {kind}")
    fields = {
        _WORD_START.sub("_", key).lower(): value
        for key, value in obj.items()
        if key not in ("apiVersion", "kind")
    }
    return resource_type(resource_name, **fields, opts=opts)
