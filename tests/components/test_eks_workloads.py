"""The EKS components, through the inputs the engine receives."""

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes
import pytest
import yaml

from components.datadog_site import DatadogSite
from components.eks.args import (
    AgentArgs,
    ClusterAccessArgs,
    CollectorArgs,
    DatadogNamespaceArgs,
    EksObservabilityArgs,
)
from components.eks.cluster_access import EksClusterAccess, eks_kubeconfig, version_mismatch
from components.eks.collector_config import (
    ClusterCollectorSettings,
    CollectorSettings,
    NodeCollectorSettings,
    node_collector_config,
)
from components.eks.datadog_agent import (
    OPERATOR_CHART_VERSION,
    AgentFeatures,
    AgentOtlpReceiver,
    DatadogAgentSettings,
    OperatorSettings,
)
from components.eks.kubernetes_objects import kubernetes_object
from components.eks.manifests import (
    CONFIG_FILE,
    CollectorParameters,
    NodePlacement,
    Toleration,
    node_daemon_set,
    own_log_glob,
)
from components.eks.manifests import config_map as manifests_config_map
from components.eks.observability import EksObservability
from components.fargate.args import DEFAULT_AGENT_IMAGE
from components.versions import DATADOG_AGENT_VERSION
from stacks.tooling.engine import ProgramRun, RecordedResource, ResourceValidationError, run_program

CLUSTER = "platform-dev"
SITE: DatadogSite = "datadoghq.eu"
NAMESPACE = "datadog"
CREATED_SECRET = "datadog-api-key"
SYNCED_SECRET = "datadog-api-key-synced"
ENDPOINT = "http://otel-collector-node.datadog.svc.cluster.local:4317"


EVERY_NODE = NodePlacement(tolerations=(Toleration(),), priority_class_name="system-node-critical")


def collector(secret: str = CREATED_SECRET, *, container_logs: bool = True) -> CollectorArgs:
    shared = CollectorSettings(environment="dev", cluster_name=CLUSTER, datadog_site=SITE)
    return CollectorArgs(
        params=CollectorParameters(
            namespace=NAMESPACE, api_key_secret_name=secret, node_placement=EVERY_NODE
        ),
        node=NodeCollectorSettings(shared, collect_container_logs=container_logs),
        cluster=ClusterCollectorSettings(shared),
    )


def agent(
    secret: str = CREATED_SECRET,
    features: AgentFeatures | None = None,
    replicas: int = 1,
    placement: NodePlacement | None = None,
) -> AgentArgs:
    return AgentArgs(
        operator=OperatorSettings(NAMESPACE, secret, CLUSTER, SITE),
        agent=DatadogAgentSettings(
            namespace=NAMESPACE,
            cluster_name=CLUSTER,
            environment="dev",
            api_key_secret_name=secret,
            site=SITE,
            features=features or AgentFeatures(),
            cluster_agent_replicas=replicas,
            node_placement=placement or EVERY_NODE,
        ),
    )


BOTH = EksObservabilityArgs(
    access=ClusterAccessArgs(CLUSTER, kubernetes_version="1.30"),
    namespace=DatadogNamespaceArgs(api_key="dd-api-key-value"),
    collector=collector(),
    agent=agent(),
)
SECURITY = AgentFeatures(log_collection=True, npm=True, cspm=True, cws=True)


def deploy(args: EksObservabilityArgs) -> ProgramRun:
    def program() -> None:
        eks = EksObservability("eks", args)
        pulumi.export("otlpEndpoint", eks.otlp_endpoint)

    return run_program(program, stack="dev", config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def both() -> ProgramRun:
    """Collector and Agent, a created Secret, the cluster found by name."""
    return deploy(BOTH)


@pytest.fixture(scope="module")
def agent_only() -> Iterator[ProgramRun]:
    """The Agent with logs and security, an existing Secret, a kubeconfig context."""
    with pytest.MonkeyPatch.context() as env:
        # Without a kubeconfig the SDK passes $KUBECONFIG to the provider.
        env.delenv("KUBECONFIG", raising=False)
        yield deploy(
            EksObservabilityArgs(
                access=ClusterAccessArgs(CLUSTER, kubeconfig_context="platform-dev-admin"),
                namespace=DatadogNamespaceArgs(existing_api_key_secret_name=SYNCED_SECRET),
                agent=agent(SYNCED_SECRET, SECURITY, replicas=2),
            )
        )


@pytest.fixture(scope="module")
def collector_only() -> ProgramRun:
    """The collectors alone, not tailing container logs."""
    return deploy(replace(BOTH, collector=collector(container_logs=False), agent=None))


def kubernetes_resources(run: ProgramRun) -> list[RecordedResource]:
    return [r for r in run.resources if r.type.startswith("kubernetes:")]


def of_kind(run: ProgramRun, kind: str) -> list[dict[str, Any]]:
    return [r.inputs for r in kubernetes_resources(run) if r.type.endswith(f":{kind}")]


def one(run: ProgramRun, kind: str) -> dict[str, Any]:
    [inputs] = of_kind(run, kind)
    return inputs


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def collector_config(run: ProgramRun, name: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(run.named(name).inputs["data"]["collector.yaml"])
    return config


# Cluster access.


def test_provider_gets_a_token_from_aws_eks_get_token(both: ProgramRun) -> None:
    provider = run_provider(both)
    assert provider.inputs["clusterIdentifier"] == CLUSTER
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    [cluster] = kubeconfig["clusters"]
    assert cluster["name"] == CLUSTER
    assert cluster["cluster"]["server"].startswith("https://")
    assert cluster["cluster"]["server"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    certificate = base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode()
    assert certificate.startswith("-----BEGIN CERTIFICATE-----")
    [user] = kubeconfig["users"]
    assert user["user"]["exec"] == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": [
            "eks",
            "get-token",
            "--cluster-name",
            CLUSTER,
            "--region",
            "eu-west-1",
            "--output",
            "json",
        ],
        "interactiveMode": "Never",
    }
    assert kubeconfig["current-context"] == CLUSTER
    assert kubeconfig["contexts"] == [
        {"name": CLUSTER, "context": {"cluster": CLUSTER, "user": user["name"]}}
    ]


def test_a_kubeconfig_context_replaces_the_lookup(agent_only: ProgramRun) -> None:
    assert run_provider(agent_only).inputs == {
        "context": "platform-dev-admin",
        "clusterIdentifier": CLUSTER,
    }


def run_provider(run: ProgramRun) -> RecordedResource:
    [provider] = run.by_type("pulumi:providers:kubernetes")
    return provider


@pytest.mark.parametrize("fixture", ["both", "agent_only", "collector_only"])
def test_every_kubernetes_resource_uses_the_clusters_provider(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    run: ProgramRun = request.getfixturevalue(fixture)
    provider = run_provider(run).urn
    resources = kubernetes_resources(run)
    assert len(resources) > 2
    assert {r.provider for r in resources} == {provider}


def test_kubeconfig_is_a_pure_function() -> None:
    config = eks_kubeconfig(
        cluster_name="c", region="us-east-1", endpoint="https://x", certificate_authority_data="ca"
    )
    assert config["users"][0]["user"]["exec"]["args"][3:6] == ["c", "--region", "us-east-1"]


def test_a_cluster_on_another_version_than_declared_warns() -> None:
    assert version_mismatch("1.30", "1.30") is None
    run = run_program(
        lambda: EksClusterAccess("c", ClusterAccessArgs(CLUSTER, kubernetes_version="1.29")),
        stack="dev",
        kubernetes_version="1.31",
    )
    assert run.messages == [
        "warning: cluster runs Kubernetes 1.31 but the stack declares 1.29: the offline checks "
        "validate its objects against the 1.29 schemas; set kubernetesVersion to 1.31"
    ]


# Namespace and API key.


def test_namespace_and_the_masked_api_key_secret(both: ProgramRun) -> None:
    namespace = both.named("eks-namespace-namespace")
    assert namespace.inputs["metadata"] == {
        "name": NAMESPACE,
        "labels": {
            "app.kubernetes.io/managed-by": "pulumi",
            "pod-security.kubernetes.io/enforce": "privileged",
        },
    }
    secret = both.named("eks-namespace-api-key")
    assert secret.inputs == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": CREATED_SECRET,
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": "pulumi"},
        },
        "type": "Opaque",
        "data": "[secret]",
    }
    assert "dd-api-key-value" not in json.dumps([r.to_json() for r in both.resources])
    assert secret.dependencies == (namespace.urn,)


def test_workloads_wait_for_the_namespace_and_secret(both: ProgramRun) -> None:
    waited_for = {both.named(n).urn for n in ("eks-namespace-namespace", "eks-namespace-api-key")}
    for component in ("eks-collector", "eks-agent"):
        assert set(both.named(component).dependencies) == waited_for


def test_an_existing_secret_is_referenced_not_created(agent_only: ProgramRun) -> None:
    assert of_kind(agent_only, "Secret") == []
    assert one(agent_only, "Release")["values"]["apiKeyExistingSecret"] == SYNCED_SECRET
    credentials = one(agent_only, "DatadogAgent")["spec"]["global"]["credentials"]
    assert credentials == {"apiSecret": {"secretName": SYNCED_SECRET, "keyName": "api-key"}}


# The OpenTelemetry Collector.


def test_collector_objects_are_all_registered(both: ProgramRun) -> None:
    names = {r.name for r in both.resources if r.parent == both.named("eks-collector").urn}
    kinds = ["serviceaccount", "clusterrole", "clusterrolebinding", "configmap", "networkpolicy"]
    assert names == {
        *(f"eks-collector-{role}-{kind}" for role in ("node", "cluster") for kind in kinds),
        "eks-collector-node-daemonset",
        "eks-collector-node-service",
        "eks-collector-cluster-deployment",
    }


def test_workloads_wait_for_their_rbac_and_config(both: ProgramRun) -> None:
    for role, workload in (("node", "daemonset"), ("cluster", "deployment")):
        prerequisites = {
            both.named(f"eks-collector-{role}-{kind}").urn
            for kind in (
                "serviceaccount",
                "clusterrole",
                "clusterrolebinding",
                "configmap",
                "networkpolicy",
            )
        }
        assert set(both.named(f"eks-collector-{role}-{workload}").dependencies) == prerequisites


def test_daemon_set(both: ProgramRun) -> None:
    daemon_set = both.named("eks-collector-node-daemonset").inputs
    spec = pod_spec(daemon_set)
    [container] = spec["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert "DD_API_KEY" not in env
    [key_volume] = [v for v in spec["volumes"] if v["name"] == "datadog-api-key"]
    assert key_volume["secret"] == {
        "secretName": CREATED_SECRET,
        "items": [{"key": "api-key", "path": "api-key"}],
    }
    assert env["GOMEMLIMIT"]["value"] == "819MiB"
    assert container["livenessProbe"] == {"httpGet": {"path": "/", "port": 13133}}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert all(mount["readOnly"] for mount in container["volumeMounts"])
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["serviceAccountName"] == "otel-collector-node"
    host_paths = [v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v]
    assert host_paths == ["/var/log/pods", "/var/lib/docker/containers"]


def test_collector_config_maps(both: ProgramRun, collector_only: ProgramRun) -> None:
    node = collector_config(both, "eks-collector-node-configmap")
    assert node["exporters"]["datadog"]["api"] == {
        "key": "${file:/etc/datadog-api-key/api-key}",
        "site": SITE,
    }
    assert node["service"]["pipelines"]["logs"]["receivers"] == ["otlp", "filelog"]
    assert node["processors"]["resource"]["attributes"][0] == {
        "key": "deployment.environment",
        "value": "dev",
        "action": "upsert",
    }
    cluster = collector_config(both, "eks-collector-cluster-configmap")
    assert set(cluster["receivers"]) == {"k8s_cluster", "k8sobjects", "prometheus/otelcol"}
    quiet = collector_config(collector_only, "eks-collector-node-configmap")
    assert quiet["service"]["pipelines"]["logs"]["receivers"] == ["otlp"]
    assert "filelog" not in quiet["receivers"]
    spec = pod_spec(collector_only.named("eks-collector-node-daemonset").inputs)
    assert [v for v in spec["volumes"] if "hostPath" in v] == []


def test_rbac_is_read_only(both: ProgramRun) -> None:
    node_rules = both.named("eks-collector-node-clusterrole").inputs["rules"]
    assert node_rules[0] == {
        "apiGroups": [""],
        "resources": ["namespaces", "pods"],
        "verbs": ["get", "list", "watch"],
    }
    for role in of_kind(both, "ClusterRole"):
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
    binding = both.named("eks-collector-node-clusterrolebinding").inputs
    assert binding["roleRef"]["name"] == "datadog-otel-collector-node"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "otel-collector-node", "namespace": NAMESPACE}
    ]


def test_network_policy_and_service(both: ProgramRun) -> None:
    policy = both.named("eks-collector-node-networkpolicy").inputs["spec"]
    assert policy["ingress"][0] == {
        "from": [{"namespaceSelector": {}}],
        "ports": [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 4318}],
    }
    assert {"ports": [{"protocol": "TCP", "port": 443}]} in policy["egress"]
    service = both.named("eks-collector-node-service").inputs["spec"]
    assert service["internalTrafficPolicy"] == "Local"


def test_otlp_endpoint_is_exported(both: ProgramRun, agent_only: ProgramRun) -> None:
    assert both.stack_outputs == {"otlpEndpoint": ENDPOINT}
    assert agent_only.stack_outputs == {"otlpEndpoint": None}


# The Datadog Agent through the Operator.


def test_operator_release_is_pinned(both: ProgramRun) -> None:
    release = one(both, "Release")
    assert {key: release[key] for key in ("name", "chart", "version", "namespace", "atomic")} == {
        "name": "datadog-operator",
        "chart": "datadog-operator",
        "version": OPERATOR_CHART_VERSION,
        "namespace": NAMESPACE,
        "atomic": True,
    }
    assert release["repositoryOpts"] == {"repo": "https://helm.datadoghq.com"}
    assert release["values"]["site"] == SITE
    assert release["values"]["clusterName"] == CLUSTER


def test_datadog_agent_waits_for_the_operator(both: ProgramRun) -> None:
    custom_resource = both.named("eks-agent-datadogagent")
    assert custom_resource.type == "kubernetes:datadoghq.com/v2alpha1:DatadogAgent"
    assert custom_resource.dependencies == (both.named("eks-agent-operator").urn,)


def test_the_operator_starts_behind_its_network_policy(both: ProgramRun) -> None:
    policy = both.named("eks-agent-operator-networkpolicy")
    release = both.named("eks-agent-operator")

    assert policy.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    assert policy.parent == both.named("eks-agent").urn
    assert release.dependencies == (policy.urn,)
    # The chart's pod labels: its name and the release's.
    assert policy.inputs["spec"]["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": release.inputs["chart"],
            "app.kubernetes.io/instance": release.inputs["name"],
        }
    }


def features(run: ProgramRun) -> dict[str, Any]:
    spec: dict[str, Any] = one(run, "DatadogAgent")["spec"]["features"]
    return {name: value.get("enabled") for name, value in spec.items() if name != "otlp"}


def test_datadog_agent_features_and_size_per_deployment(
    both: ProgramRun, agent_only: ProgramRun
) -> None:
    assert features(both) == {
        "apm": True,
        "logCollection": False,
        "npm": False,
        "cspm": False,
        "cws": False,
    }
    assert features(agent_only) == {
        "apm": True,
        "logCollection": True,
        "npm": True,
        "cspm": True,
        "cws": True,
    }
    small, large = (one(run, "DatadogAgent")["spec"] for run in (both, agent_only))
    assert small["override"]["clusterAgent"]["replicas"] == 1
    assert large["override"]["clusterAgent"]["replicas"] == 2
    # A budget of one available replica would keep a single one from ever being evicted.
    assert "createPodDisruptionBudget" not in small["override"]["clusterAgent"]
    assert large["override"]["clusterAgent"]["createPodDisruptionBudget"] is True
    assert small["override"]["nodeAgent"]["image"] == {"tag": DATADOG_AGENT_VERSION}
    [rules] = large["override"]["nodeAgent"]["env"]
    assert rules["name"] == "DD_LOGS_CONFIG_PROCESSING_RULES"
    assert [rule["name"] for rule in json.loads(rules["value"])] == [
        "exclude_debug",
        "exclude_health_checks",
    ]


def test_the_node_agent_runs_where_the_node_collector_runs(both: ProgramRun) -> None:
    node_agent = one(both, "DatadogAgent")["spec"]["override"]["nodeAgent"]
    collector_pod = pod_spec(both.named("eks-collector-node-daemonset").inputs)

    assert node_agent["tolerations"] == collector_pod["tolerations"] == [{"operator": "Exists"}]
    assert node_agent["priorityClassName"] == collector_pod["priorityClassName"]


def test_ecs_and_eks_run_one_agent_version() -> None:
    assert DEFAULT_AGENT_IMAGE.endswith(f":{DATADOG_AGENT_VERSION}")
    assert DatadogAgentSettings("n", "c", "e", "s").agent_version == DATADOG_AGENT_VERSION


# Arguments that cannot work are refused before anything is registered.


def test_the_components_leave_double_collection_to_the_stack() -> None:
    # Valid Kubernetes, and a migration between the two may want it; the stack model refuses it.
    tails_logs = agent(features=AgentFeatures(log_collection=True))
    on_host_port = agent(
        features=AgentFeatures(otlp=AgentOtlpReceiver(grpc=True, grpc_host_port=4317))
    )

    assert replace(BOTH, agent=tails_logs).agent == tails_logs
    assert replace(BOTH, agent=on_host_port).agent == on_host_port


def test_inconsistent_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="nothing would run"):
        replace(BOTH, collector=None, agent=None)
    with pytest.raises(ValueError, match="the Operator must use"):
        replace(BOTH, agent=agent(secret=SYNCED_SECRET))
    with pytest.raises(ValueError, match="exactly one of api_key"):
        DatadogNamespaceArgs()
    with pytest.raises(ValueError, match="must run on the same nodes"):
        replace(BOTH, agent=agent(placement=NodePlacement()))


# The engine validates every Kubernetes object it is given.


def with_provider(register: Any) -> Any:
    def program() -> None:
        provider = kubernetes.Provider("k", kubeconfig="{}")
        register(pulumi.ResourceOptions(provider=provider))

    return program


def test_a_misspelled_field_fails_the_run_that_registers_it() -> None:
    daemon_set = node_daemon_set(collector().params, collector().node)
    pod_spec(daemon_set)["containers"][0]["readinesProbe"] = {"httpGet": {"port": 13133}}
    with pytest.raises(ResourceValidationError, match="'readinesProbe' was unexpected"):
        run_program(
            with_provider(lambda opts: kubernetes_object("ds", daemon_set, opts)), stack="t"
        )


def test_a_collector_config_whose_pipelines_disagree_fails_the_run() -> None:
    params, node = collector().params, collector().node
    config = node_collector_config(node, own_log_glob=own_log_glob(params))
    config["service"]["pipelines"]["traces"]["exporters"].append("datadog/typo")
    config_map = {
        **manifests_config_map(params, node),
        "data": {CONFIG_FILE: yaml.safe_dump(config)},
    }
    with pytest.raises(
        ResourceValidationError,
        match=re.escape(
            '$.data["collector.yaml"].service.pipelines.traces.exporters[2]: '
            "'datadog/typo' is not declared in exporters or connectors"
        ),
    ):
        run_program(
            with_provider(lambda opts: kubernetes_object("cm", config_map, opts)), stack="t"
        )


def test_a_misspelled_datadog_agent_feature_fails_the_run() -> None:
    def register(opts: pulumi.ResourceOptions) -> None:
        kubernetes.apiextensions.CustomResource(
            "agent",
            api_version="datadoghq.com/v2alpha1",
            kind="DatadogAgent",
            metadata={"name": "datadog"},
            spec={"features": {"npmm": {"enabled": True}}},
            opts=opts,
        )

    with pytest.raises(ResourceValidationError, match="'npmm' was unexpected"):
        run_program(with_provider(register), stack="t")


def test_objects_are_validated_against_the_stacks_kubernetes_version() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "otlp", "namespace": NAMESPACE},
        # Added in Kubernetes 1.30.
        "spec": {"ports": [{"port": 4317}], "trafficDistribution": "PreferClose"},
    }
    program = with_provider(lambda opts: kubernetes_object("svc", service, opts))
    assert len(run_program(program, stack="t", kubernetes_version="1.30").resources) == 2
    with pytest.raises(ResourceValidationError, match="'trafficDistribution' was unexpected"):
        run_program(program, stack="t", kubernetes_version="1.29")


def test_the_default_kubernetes_provider_fails_the_run() -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "datadog"}}
    with pytest.raises(ResourceValidationError, match="uses the default Kubernetes provider"):
        run_program(lambda: kubernetes_object("ns", namespace, pulumi.ResourceOptions()), stack="t")


def test_charts_rendered_outside_the_program_fail_the_run() -> None:
    def register(opts: pulumi.ResourceOptions) -> None:
        kubernetes.helm.v4.Chart(
            "operator",
            chart="datadog-operator",
            version=OPERATOR_CHART_VERSION,
            repository_opts={"repo": "https://helm.datadoghq.com"},
            opts=opts,
        )

    with pytest.raises(ResourceValidationError, match="renders its objects outside the program"):
        run_program(with_provider(register), stack="t")


def test_an_unpinned_helm_release_fails_the_run() -> None:
    def register(opts: pulumi.ResourceOptions) -> None:
        kubernetes.helm.v3.Release(
            "operator",
            chart="datadog-operator",
            repository_opts={"repo": "http://helm.datadoghq.com"},
            opts=opts,
        )

    with pytest.raises(ResourceValidationError, match="chart version is not pinned"):
        run_program(with_provider(register), stack="t")
