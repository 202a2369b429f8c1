import json
import re
from collections.abc import Iterator
from dataclasses import replace
from fnmatch import fnmatch
from typing import Any

import pytest
import yaml

from components.eks import collector_config as collector_config_module
from components.eks import manifests
from components.eks.collector_config import (
    COLLECTOR_IMAGE,
    DEBUG_LOG_PATTERN,
    BatchSettings,
    ClusterCollectorSettings,
    CollectorSettings,
    MemoryLimiterSettings,
    NodeCollectorSettings,
    cluster_collector_config,
    health_check_log_pattern,
    render_collector_config,
)
from components.eks.datadog_agent import (
    DD_TRACE_PY_VERSION,
    OPERATOR_CHART_VERSION,
    AgentFeatures,
    AgentOtlpReceiver,
    ApmInstrumentation,
    DatadogAgentSettings,
    HelmReleaseSpec,
    OperatorSettings,
    datadog_agent,
    log_processing_rules,
    node_agent_pod_labels,
    operator_network_policy,
    operator_release,
)
from components.eks.manifests import (
    CollectorParameters,
    CollectorRole,
    ContainerResources,
    NodePlacement,
    Toleration,
)
from components.versions import DATADOG_AGENT_VERSION
from stacks.validation.collector_config import check_collector_config
from stacks.validation.datadog_agent import check_datadog_agent
from stacks.validation.kubernetes import check_kubernetes_object

COLLECTOR = CollectorSettings(
    environment="production", cluster_name="main", datadog_site="datadoghq.eu"
)
NODE = NodeCollectorSettings(COLLECTOR)
NODE_MINIMAL = NodeCollectorSettings(
    COLLECTOR,
    collect_container_logs=False,
    scrape_prometheus_pods=False,
    collect_kubelet_stats=False,
)
CLUSTER = ClusterCollectorSettings(COLLECTOR)
CLUSTER_NO_EVENTS = ClusterCollectorSettings(COLLECTOR, collect_events=False)
PARAMS = CollectorParameters(namespace="observability", api_key_secret_name="datadog-api-key")
PARAMS_TOLERANT = CollectorParameters(
    namespace="observability",
    api_key_secret_name="datadog-api-key",
    node_placement=NodePlacement(
        tolerations=(Toleration(), Toleration("dedicated", "Equal", "gpu", "NoSchedule")),
        priority_class_name="system-node-critical",
    ),
)
ALL_OBJECTS = manifests.collector_objects(PARAMS, NODE, CLUSTER)
VARIANTS = [
    manifests.collector_objects(PARAMS, NODE, CLUSTER),
    manifests.collector_objects(PARAMS, NODE_MINIMAL, CLUSTER_NO_EVENTS),
    manifests.collector_objects(PARAMS_TOLERANT, NODE, CLUSTER),
]


def only(kind: str, objects: list[dict[str, Any]] = ALL_OBJECTS) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def container(workload: dict[str, Any]) -> dict[str, Any]:
    single: dict[str, Any]
    [single] = workload["spec"]["template"]["spec"]["containers"]
    return single


def env_by_name(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container(workload)["env"]}


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# Every object is valid Kubernetes.


@pytest.mark.parametrize(
    "obj",
    [obj for objects in VARIANTS for obj in objects],
    ids=lambda obj: f"{obj['kind']}/{obj['metadata']['name']}",
)
def test_every_collector_object_validates_strictly_against_1_30(obj: dict[str, Any]) -> None:
    assert check_kubernetes_object(obj, "1.30") == []


def test_objects_cover_both_collectors() -> None:
    assert sorted(obj["kind"] for obj in ALL_OBJECTS) == sorted(
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "NetworkPolicy"] * 2
        + ["DaemonSet", "Service", "Deployment"]
    )


def test_no_host_ports_or_host_network_anywhere() -> None:
    for objects in VARIANTS:
        found = list(walk(objects))
        assert [key for key, _ in found if key == "hostPort"] == []
        assert [value for key, value in found if key == "hostNetwork"] == []


def test_labels_are_consistent() -> None:
    for obj in ALL_OBJECTS:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "opentelemetry-collector"
        assert labels["app.kubernetes.io/instance"] == "otel-collector"
        assert labels["app.kubernetes.io/component"] in {"node-collector", "cluster-collector"}
        assert labels["app.kubernetes.io/managed-by"] == "pulumi"
    for workload in only("DaemonSet") + only("Deployment"):
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= workload["spec"]["template"]["metadata"]["labels"].items()
        assert "app.kubernetes.io/managed-by" not in selector


# Collector configuration.


def node_config(settings: NodeCollectorSettings = NODE) -> dict[str, Any]:
    return manifests.collector_config(PARAMS, settings)


def test_node_pipelines() -> None:
    enrichment = ["k8sattributes", "resourcedetection", "resource", "batch"]
    assert node_config()["service"]["pipelines"] == {
        "traces": {
            "receivers": ["otlp"],
            "processors": ["memory_limiter", "filter/noise", *enrichment],
            "exporters": ["datadog/connector", "datadog"],
        },
        "metrics": {
            "receivers": ["otlp", "prometheus", "kubeletstats", "datadog/connector"],
            "processors": ["memory_limiter", *enrichment],
            "exporters": ["datadog"],
        },
        "logs": {
            "receivers": ["otlp", "filelog"],
            "processors": ["memory_limiter", "filter/noise", *enrichment],
            "exporters": ["datadog"],
        },
        "metrics/otelcol": {
            "receivers": ["prometheus/otelcol"],
            "processors": ["memory_limiter", "resourcedetection", "resource", "batch"],
            "exporters": ["datadog"],
        },
    }


def test_switched_off_signals_leave_their_receivers_out() -> None:
    config = node_config(NODE_MINIMAL)
    pipelines = config["service"]["pipelines"]

    assert set(config["receivers"]) == {"otlp", "prometheus/otelcol"}
    assert pipelines["metrics"]["receivers"] == ["otlp", "datadog/connector"]
    assert pipelines["logs"]["receivers"] == ["otlp"]


def test_cluster_pipelines() -> None:
    processors = ["memory_limiter", "resource", "batch"]
    config = manifests.collector_config(PARAMS, CLUSTER)

    assert config["service"]["pipelines"] == {
        "metrics": {
            "receivers": ["k8s_cluster"],
            "processors": processors,
            "exporters": ["datadog"],
        },
        "logs": {"receivers": ["k8sobjects"], "processors": processors, "exporters": ["datadog"]},
        "metrics/otelcol": {
            "receivers": ["prometheus/otelcol"],
            "processors": processors,
            "exporters": ["datadog"],
        },
    }
    assert config["receivers"]["k8sobjects"]["objects"] == [
        {"name": "events", "mode": "watch", "group": "events.k8s.io"}
    ]
    assert "resourcedetection" not in config["processors"]
    assert "logs" not in cluster_collector_config(CLUSTER_NO_EVENTS)["service"]["pipelines"]


@pytest.mark.parametrize(
    "config",
    [node_config(), node_config(NODE_MINIMAL), cluster_collector_config(CLUSTER)],
    ids=["node", "node-minimal", "cluster"],
)
def test_each_collector_sends_its_own_metrics_under_the_names_datadog_documents(
    config: dict[str, Any],
) -> None:
    # A `readers` list replaces core's default reader, whose without_* options are true; left
    # false, Datadog would get otelcol_receiver_accepted_spans_total and
    # otelcol_process_memory_rss_bytes, and the platform dashboard would stay empty.
    (reader,) = config["service"]["telemetry"]["metrics"]["readers"]
    assert reader == {
        "pull": {
            "exporter": {
                "prometheus": {
                    "host": "localhost",
                    "port": 8888,
                    "without_type_suffix": True,
                    "without_units": True,
                    "without_scope_info": True,
                }
            }
        }
    }
    assert config["service"]["telemetry"]["metrics"]["level"] == "normal"
    (job,) = config["receivers"]["prometheus/otelcol"]["config"]["scrape_configs"]
    assert job["static_configs"] == [{"targets": ["localhost:8888"]}]
    pipeline = config["service"]["pipelines"]["metrics/otelcol"]
    assert pipeline["receivers"] == ["prometheus/otelcol"]
    assert pipeline["exporters"] == ["datadog"]
    # k8s.cluster.name, which the exporter turns into the kube_cluster_name tag.
    assert "resource" in pipeline["processors"]


@pytest.mark.parametrize(
    "config",
    [node_config(), node_config(NODE_MINIMAL), cluster_collector_config(CLUSTER)],
    ids=["node", "node-minimal", "cluster"],
)
def test_configs_are_internally_consistent(config: dict[str, Any]) -> None:
    assert check_collector_config(config) == []


def test_receivers_bind_the_pod_ip() -> None:
    receivers = node_config()["receivers"]

    assert receivers["otlp"]["protocols"] == {
        "grpc": {"endpoint": "${env:MY_POD_IP}:4317"},
        "http": {"endpoint": "${env:MY_POD_IP}:4318"},
    }
    assert receivers["kubeletstats"] == {
        "collection_interval": "30s",
        "auth_type": "serviceAccount",
        "endpoint": "${env:K8S_NODE_IP}:10250",
        "insecure_skip_verify": False,
    }
    assert node_config()["extensions"] == {"health_check": {"endpoint": "${env:MY_POD_IP}:13133"}}


def test_kubelet_tls_is_verified_unless_a_node_signs_its_own() -> None:
    self_signed = node_config(replace(NODE, verify_kubelet_tls=False))

    assert self_signed["receivers"]["kubeletstats"]["insecure_skip_verify"] is True


def test_filelog_tails_pod_logs_except_the_collectors_own() -> None:
    filelog = node_config()["receivers"]["filelog"]
    [exclude] = filelog["exclude"]

    assert filelog["include"] == ["/var/log/pods/*/*/*.log"]
    assert filelog["start_at"] == "end"
    assert filelog["include_file_path"] is True
    assert filelog["operators"] == [{"type": "container", "id": "container-parser"}]
    own = "/var/log/pods/observability_otel-collector-node-x7k2p_6f1e/otel-collector/0.log"
    assert fnmatch(own, exclude)
    for other in (
        "/var/log/pods/apps_web-7d9f8-x7k2p_6f1e/web/0.log",
        "/var/log/pods/observability_otel-collector-cluster-5d8-abcde_1a2b/otel-collector/0.log",
        "/var/log/pods/default_otel-collector-node-x7k2p_6f1e/otel-collector/0.log",
    ):
        assert not fnmatch(other, exclude)


def test_prometheus_discovers_only_annotated_pods_of_its_node() -> None:
    [scrape] = node_config()["receivers"]["prometheus"]["config"]["scrape_configs"]

    assert scrape["kubernetes_sd_configs"] == [
        {
            "role": "pod",
            "selectors": [{"role": "pod", "field": "spec.nodeName=${env:K8S_NODE_NAME}"}],
        }
    ]
    assert scrape["relabel_configs"][0] == {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "regex": "true",
        "action": "keep",
    }
    address = next(r for r in scrape["relabel_configs"] if r.get("target_label") == "__address__")
    assert address["replacement"] == "$$1:$$2"


def test_processors() -> None:
    processors = node_config()["processors"]

    assert processors["memory_limiter"] == {
        "check_interval": "5s",
        "limit_percentage": 80,
        "spike_limit_percentage": 25,
    }
    assert processors["batch"] == {
        "send_batch_size": 100,
        "send_batch_max_size": 1000,
        "timeout": "10s",
    }
    assert processors["k8sattributes"]["filter"] == {"node_from_env_var": "K8S_NODE_NAME"}
    assert processors["k8sattributes"]["pod_association"] == [
        {"sources": [{"from": "resource_attribute", "name": "k8s.pod.ip"}]},
        {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
        {"sources": [{"from": "connection"}]},
    ]
    assert processors["resourcedetection"] == {
        "detectors": ["env", "eks", "ec2"],
        "timeout": "15s",
        "override": False,
    }
    assert processors["resource"]["attributes"] == [
        {"key": "deployment.environment", "value": "production", "action": "upsert"},
        {"key": "deployment.environment.name", "value": "production", "action": "upsert"},
        {"key": "k8s.cluster.name", "value": "main", "action": "upsert"},
    ]


def test_datadog_exporter_and_connector() -> None:
    config = node_config()

    assert config["exporters"] == {
        "datadog": {"api": {"key": "${file:/etc/datadog-api-key/api-key}", "site": "datadoghq.eu"}}
    }
    assert config["connectors"] == {"datadog/connector": {}}


def test_noise_filter_conditions() -> None:
    noise = node_config()["processors"]["filter/noise"]
    route = 'IsMatch(attributes["http.route"], "^(/health|/healthz|/ready|/livez)$")'

    assert noise["error_mode"] == "ignore"
    assert route in noise["traces"]["span"]
    assert route in noise["logs"]["log_record"]
    assert (
        "severity_number > SEVERITY_NUMBER_UNSPECIFIED and severity_number < SEVERITY_NUMBER_INFO"
        in noise["logs"]["log_record"]
    )


@pytest.mark.parametrize(
    ("line", "dropped"),
    [
        ('{"level":"DEBUG","msg":"x"}', True),
        ('{"levelname": "DEBUG", "message": "x"}', True),
        ('{"level":"INFO","msg":"DEBUG mode"}', False),
        ('{"path":"/healthz","status":200}', True),
        ('{"url.path": "/ready"}', True),
        ('{"path":"/healthcheck"}', False),
        ('{"path":"/api/health"}', False),
    ],
)
def test_noise_patterns(line: str, dropped: bool) -> None:
    patterns = [DEBUG_LOG_PATTERN, health_check_log_pattern(NODE.health_check_paths)]
    assert any(re.search(pattern, line) for pattern in patterns) is dropped


def test_rendered_yaml_is_stable_and_round_trips() -> None:
    config = node_config()
    text = render_collector_config(config)

    assert text == render_collector_config(node_config())
    assert yaml.safe_load(text) == config
    assert text.index("connectors:") < text.index("exporters:") < text.index("receivers:")
    assert "&id" not in render_collector_config(cluster_collector_config(CLUSTER))


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown Datadog site"):
        CollectorSettings(
            environment="production",
            cluster_name="main",
            datadog_site="datadog.com",  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="send_batch_size"):
        BatchSettings(send_batch_size=2000)
    with pytest.raises(ValueError, match="spike_limit_percentage"):
        MemoryLimiterSettings(limit_percentage=20)
    with pytest.raises(ValueError, match="start with"):
        NodeCollectorSettings(COLLECTOR, health_check_paths=("health",))


# RBAC.


def rules(settings: NodeCollectorSettings | ClusterCollectorSettings) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = manifests.cluster_role(PARAMS, settings)["rules"]
    return rules


READ = ["get", "list", "watch"]


def test_node_collector_rbac() -> None:
    assert rules(NODE) == [
        {"apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": READ},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": READ},
        {"apiGroups": [""], "resources": ["nodes/stats"], "verbs": ["get"]},
    ]
    assert {"apiGroups": [""], "resources": ["nodes/stats"], "verbs": ["get"]} not in rules(
        NODE_MINIMAL
    )


def test_cluster_collector_rbac() -> None:
    core = ["namespaces", "nodes", "pods", "replicationcontrollers", "resourcequotas", "services"]
    without_events = [
        {"apiGroups": [""], "resources": core, "verbs": READ},
        {
            "apiGroups": ["apps"],
            "resources": ["daemonsets", "deployments", "replicasets", "statefulsets"],
            "verbs": READ,
        },
        {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": READ},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": READ},
    ]

    assert rules(CLUSTER_NO_EVENTS) == without_events
    assert rules(CLUSTER) == [
        *without_events,
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["list", "watch"]},
    ]


def test_each_collector_is_bound_to_its_own_role() -> None:
    for role in CollectorRole:
        binding = manifests.cluster_role_binding(PARAMS, role)
        name = f"observability-{manifests.workload_name(PARAMS, role)}"
        assert binding["metadata"]["name"] == name
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": name,
        }
        assert binding["subjects"] == [
            {
                "kind": "ServiceAccount",
                "name": manifests.workload_name(PARAMS, role),
                "namespace": "observability",
            }
        ]


# Workloads.

DAEMON_SET = manifests.node_daemon_set(PARAMS, NODE)
DEPLOYMENT = manifests.cluster_deployment(PARAMS, CLUSTER)


@pytest.mark.parametrize("workload", [DAEMON_SET, DEPLOYMENT], ids=["daemonset", "deployment"])
def test_container_basics(workload: dict[str, Any]) -> None:
    spec = workload["spec"]["template"]["spec"]
    main = container(workload)
    probe = {"httpGet": {"path": "/", "port": 13133}}

    assert main["image"] == COLLECTOR_IMAGE == "otel/opentelemetry-collector-contrib:0.145.0"
    assert main["args"] == ["--config=/conf/collector.yaml"]
    assert main["livenessProbe"] == main["readinessProbe"] == probe
    assert main["resources"] == {
        "requests": {"cpu": "200m", "memory": "512Mi"},
        "limits": {"cpu": "500m", "memory": "1Gi"},
    }
    assert spec["serviceAccountName"] == workload["metadata"]["name"]
    assert {"name": "config", "configMap": {"name": workload["metadata"]["name"]}} in spec[
        "volumes"
    ]
    assert all(mount["readOnly"] is True for mount in main["volumeMounts"])


def test_daemon_set_env() -> None:
    assert env_by_name(DAEMON_SET) == {
        "MY_POD_IP": {
            "name": "MY_POD_IP",
            "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
        },
        "K8S_NODE_NAME": {
            "name": "K8S_NODE_NAME",
            "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
        },
        "K8S_NODE_IP": {
            "name": "K8S_NODE_IP",
            "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}},
        },
        "GOMEMLIMIT": {"name": "GOMEMLIMIT", "value": "819MiB"},
    }
    assert set(env_by_name(DEPLOYMENT)) == {"MY_POD_IP", "GOMEMLIMIT"}


@pytest.mark.parametrize(
    ("workload", "settings"), [(DAEMON_SET, NODE), (DEPLOYMENT, CLUSTER)], ids=["node", "cluster"]
)
def test_the_api_key_reaches_each_collector_as_a_file_of_its_secret(
    workload: dict[str, Any], settings: NodeCollectorSettings | ClusterCollectorSettings
) -> None:
    pod = workload["spec"]["template"]["spec"]
    reference = manifests.collector_config(PARAMS, settings)["exporters"]["datadog"]["api"]["key"]
    match = re.fullmatch(r"\$\{file:(?P<dir>/.+)/(?P<file>[^/]+)\}", reference)
    assert match, reference
    [volume] = [v for v in pod["volumes"] if "secret" in v]
    [mount] = [m for m in container(workload)["volumeMounts"] if m["name"] == volume["name"]]

    assert volume["secret"] == {
        "secretName": "datadog-api-key",
        "items": [{"key": "api-key", "path": match["file"]}],
    }
    assert mount == {"name": volume["name"], "mountPath": match["dir"], "readOnly": True}
    assert not [key for key, _ in walk(workload) if key == "secretKeyRef"]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("1Gi", "819MiB"),
        ("512Mi", "409MiB"),
        ("2Gi", "1638MiB"),
        ("1500M", "1144MiB"),
        ("3G", "2288MiB"),
    ],
)
def test_go_memory_limit_is_80_percent_in_mib(limit: str, expected: str) -> None:
    assert manifests.go_memory_limit(limit) == expected


def test_go_memory_limit_follows_the_container_limit() -> None:
    params = CollectorParameters(
        namespace="observability",
        api_key_secret_name="datadog-api-key",
        node_resources=ContainerResources(memory_request="1Gi", memory_limit="2Gi"),
    )
    assert env_by_name(manifests.node_daemon_set(params, NODE))["GOMEMLIMIT"]["value"] == "1638MiB"


@pytest.mark.parametrize("limit", ["1GB", "-1Gi", "1Ki"])
def test_go_memory_limit_rejects_bad_or_tiny_limits(limit: str) -> None:
    with pytest.raises(ValueError, match=r"memory (quantity|limit)"):
        manifests.go_memory_limit(limit)


def test_daemon_set_mounts_pod_logs_read_only() -> None:
    volumes = DAEMON_SET["spec"]["template"]["spec"]["volumes"]

    assert container(DAEMON_SET)["volumeMounts"] == [
        {"name": "config", "mountPath": "/conf", "readOnly": True},
        {"name": "datadog-api-key", "mountPath": "/etc/datadog-api-key", "readOnly": True},
        {"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True},
        {
            "name": "varlibdockercontainers",
            "mountPath": "/var/lib/docker/containers",
            "readOnly": True,
        },
    ]
    assert {
        "name": "varlogpods",
        "hostPath": {"path": "/var/log/pods", "type": "Directory"},
    } in volumes
    without_logs = manifests.node_daemon_set(PARAMS, NODE_MINIMAL)
    assert not [key for key, _ in walk(without_logs) if key == "hostPath"]


def test_security_contexts() -> None:
    restricted = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }
    # Reading root-owned pod logs needs uid 0, and nothing more.
    assert container(DAEMON_SET)["securityContext"] == {
        **restricted,
        "runAsNonRoot": False,
        "runAsUser": 0,
    }
    non_root = {**restricted, "runAsNonRoot": True, "runAsUser": 10001}
    assert container(manifests.node_daemon_set(PARAMS, NODE_MINIMAL))["securityContext"] == non_root
    assert container(DEPLOYMENT)["securityContext"] == non_root
    for workload in (DAEMON_SET, DEPLOYMENT):
        pod_spec = workload["spec"]["template"]["spec"]
        assert pod_spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}


def test_daemon_set_stays_off_fargate() -> None:
    affinity = DAEMON_SET["spec"]["template"]["spec"]["affinity"]
    [term] = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert term == {
        "matchExpressions": [
            {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]}
        ]
    }


def test_tolerations_and_priority_are_a_parameter() -> None:
    default_pod = DAEMON_SET["spec"]["template"]["spec"]
    assert "tolerations" not in default_pod
    assert "priorityClassName" not in default_pod
    tolerant = manifests.node_daemon_set(PARAMS_TOLERANT, NODE)["spec"]["template"]["spec"]
    assert tolerant["tolerations"] == [
        {"operator": "Exists"},
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
    ]
    assert tolerant["priorityClassName"] == "system-node-critical"
    with pytest.raises(ValueError, match="Equal"):
        Toleration("dedicated", "Equal")


def test_config_change_restarts_pods() -> None:
    def checksum(settings: NodeCollectorSettings) -> str:
        template = manifests.node_daemon_set(PARAMS, settings)["spec"]["template"]
        value: str = template["metadata"]["annotations"]["checksum/config"]
        return value

    assert checksum(NODE) == checksum(NodeCollectorSettings(COLLECTOR))
    assert checksum(NODE) != checksum(NODE_MINIMAL)


def test_config_map_holds_the_rendered_config() -> None:
    config_map = manifests.config_map(PARAMS, NODE)

    assert config_map["metadata"]["name"] == "otel-collector-node"
    assert yaml.safe_load(config_map["data"]["collector.yaml"]) == node_config()


def test_cluster_deployment_runs_exactly_one_replica() -> None:
    assert DEPLOYMENT["spec"]["replicas"] == 1
    assert DEPLOYMENT["spec"]["strategy"] == {"type": "Recreate"}
    assert container(DEPLOYMENT)["ports"] == [
        {"name": "health", "containerPort": 13133, "protocol": "TCP"}
    ]


def test_resources_are_validated() -> None:
    with pytest.raises(ValueError, match="cpu request"):
        ContainerResources(cpu_request="2", cpu_limit="500m")
    with pytest.raises(ValueError, match="memory request"):
        ContainerResources(memory_request="2Gi", memory_limit="1Gi")


# Networking.


def test_otlp_service_keeps_traffic_on_the_node() -> None:
    service = manifests.otlp_service(PARAMS)

    assert service["spec"] == {
        "type": "ClusterIP",
        "selector": DAEMON_SET["spec"]["selector"]["matchLabels"],
        "internalTrafficPolicy": "Local",
        "ports": [
            {"name": "otlp-grpc", "port": 4317, "targetPort": 4317, "protocol": "TCP"},
            {"name": "otlp-http", "port": 4318, "targetPort": 4318, "protocol": "TCP"},
        ],
    }


def test_otlp_endpoint() -> None:
    assert (
        manifests.otlp_endpoint(PARAMS)
        == "http://otel-collector-node.observability.svc.cluster.local:4317"
    )
    assert manifests.otlp_endpoint(PARAMS, "http/protobuf").endswith(".svc.cluster.local:4318")


def tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


DNS_AND_HTTPS = [{"ports": [{"protocol": "UDP", "port": 53}, tcp(53)]}, {"ports": [tcp(443)]}]


def test_node_network_policy() -> None:
    spec = manifests.network_policy(PARAMS, NODE)["spec"]

    assert spec["podSelector"] == {"matchLabels": DAEMON_SET["spec"]["selector"]["matchLabels"]}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [
        {"from": [{"namespaceSelector": {}}], "ports": [tcp(4317), tcp(4318)]},
        {"ports": [tcp(13133)]},
    ]
    assert spec["egress"] == [
        *DNS_AND_HTTPS,
        {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [tcp(80)]},
        {"ports": [tcp(10250)]},
        # Prometheus scrapes are HTTP: any TCP port of a pod, no UDP.
        {"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP"}]},
    ]


def test_network_policies_open_only_what_the_config_uses() -> None:
    minimal = manifests.network_policy(PARAMS, NODE_MINIMAL)["spec"]["egress"]
    cluster = manifests.network_policy(PARAMS, CLUSTER)["spec"]

    assert minimal == [
        *DNS_AND_HTTPS,
        {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [tcp(80)]},
    ]
    # No OTLP receiver and no resource detection: no OTLP ingress and no IMDS.
    assert cluster["ingress"] == [{"ports": [tcp(13133)]}]
    assert cluster["egress"] == DNS_AND_HTTPS


def test_instance_metadata_is_open_exactly_when_a_detector_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def imds_rules() -> list[dict[str, Any]]:
        egress = manifests.network_policy(PARAMS, NODE_MINIMAL)["spec"]["egress"]
        return [rule for rule in egress if "ipBlock" in json.dumps(rule)]

    assert set(collector_config_module.NODE_RESOURCE_DETECTORS) >= {"ec2", "eks"}
    assert len(imds_rules()) == 1
    monkeypatch.setattr(collector_config_module, "NODE_RESOURCE_DETECTORS", ("env",))
    assert node_config(NODE_MINIMAL)["processors"]["resourcedetection"]["detectors"] == ["env"]
    assert imds_rules() == []


# Datadog Agent through the Operator.

AGENT = DatadogAgentSettings(
    namespace="datadog",
    cluster_name="main",
    environment="production",
    api_key_secret_name="datadog-api-key",
)


def agent_features(features: AgentFeatures) -> dict[str, Any]:
    spec: dict[str, Any] = datadog_agent(replace(AGENT, features=features))["spec"]
    return spec


def test_operator_release_is_pinned() -> None:
    release = operator_release(OperatorSettings("datadog", "datadog-api-key", "main"))

    assert release == HelmReleaseSpec(
        name="datadog-operator",
        chart="datadog-operator",
        version=OPERATOR_CHART_VERSION,
        repository="https://helm.datadoghq.com",
        namespace="datadog",
        values={
            "site": "datadoghq.com",
            "clusterName": "main",
            "apiKeyExistingSecret": "datadog-api-key",
            "installCRDs": True,
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "200m", "memory": "256Mi"},
            },
        },
    )
    assert OPERATOR_CHART_VERSION == "2.25.0"


def test_datadog_agent_defaults() -> None:
    agent = datadog_agent(AGENT)
    spec = agent["spec"]

    assert agent["apiVersion"] == "datadoghq.com/v2alpha1"
    assert agent["kind"] == "DatadogAgent"
    assert agent["metadata"] == {"name": "datadog", "namespace": "datadog"}
    assert spec["global"] == {
        "site": "datadoghq.com",
        "clusterName": "main",
        "tags": ["env:production"],
        "credentials": {"apiSecret": {"secretName": "datadog-api-key", "keyName": "api-key"}},
        "kubelet": {"tlsVerify": True},
        "networkPolicy": {"create": True, "flavor": "kubernetes"},
    }
    assert spec["features"] == {
        "apm": {"enabled": True},
        "otlp": {
            "receiver": {
                "protocols": {
                    "grpc": {"enabled": False, "hostPortConfig": {"enabled": False}},
                    "http": {"enabled": False, "hostPortConfig": {"enabled": False}},
                }
            }
        },
        "logCollection": {"enabled": False, "containerCollectAll": True},
        "npm": {"enabled": False},
        "cspm": {"enabled": False},
        "cws": {"enabled": False},
    }
    assert spec["override"]["nodeAgent"]["image"] == {"tag": DATADOG_AGENT_VERSION}
    assert spec["override"]["clusterAgent"]["image"] == {"tag": DATADOG_AGENT_VERSION}
    assert spec["override"]["clusterAgent"]["replicas"] == 2
    assert "env" not in spec["override"]["nodeAgent"]
    assert check_datadog_agent(agent) == []


@pytest.mark.parametrize(
    ("features", "path", "expected"),
    [
        (AgentFeatures(apm=False), ("apm", "enabled"), False),
        (AgentFeatures(npm=True), ("npm", "enabled"), True),
        (AgentFeatures(cspm=True), ("cspm", "enabled"), True),
        (AgentFeatures(cws=True), ("cws", "enabled"), True),
        (AgentFeatures(log_collection=True), ("logCollection", "enabled"), True),
        (
            AgentFeatures(log_collection=True, container_collect_all=False),
            ("logCollection", "containerCollectAll"),
            False,
        ),
    ],
)
def test_datadog_agent_features_toggle(
    features: AgentFeatures, path: tuple[str, str], expected: bool
) -> None:
    spec = agent_features(features)
    assert spec["features"][path[0]][path[1]] is expected
    assert check_datadog_agent({**datadog_agent(AGENT), "spec": spec}) == []


def test_agent_otlp_receiver_host_ports() -> None:
    otlp = AgentOtlpReceiver(grpc=True, http=True, grpc_host_port=14317)
    protocols = agent_features(AgentFeatures(otlp=otlp))["features"]["otlp"]["receiver"][
        "protocols"
    ]

    assert protocols == {
        "grpc": {"enabled": True, "hostPortConfig": {"enabled": True, "hostPort": 14317}},
        "http": {"enabled": True, "hostPortConfig": {"enabled": False}},
    }
    with pytest.raises(ValueError, match="cannot share one host port"):
        AgentOtlpReceiver(grpc=True, http=True, grpc_host_port=14317, http_host_port=14317)
    with pytest.raises(ValueError, match="needs its OTLP protocol enabled"):
        AgentOtlpReceiver(http_host_port=14318)


def test_log_processing_rules_when_the_agent_tails_logs() -> None:
    node_agent = agent_features(AgentFeatures(log_collection=True))["override"]["nodeAgent"]
    [env] = node_agent["env"]

    assert env["name"] == "DD_LOGS_CONFIG_PROCESSING_RULES"
    rules = json.loads(env["value"])
    assert rules == log_processing_rules(AGENT.health_check_paths)
    assert [(rule["type"], rule["name"]) for rule in rules] == [
        ("exclude_at_match", "exclude_debug"),
        ("exclude_at_match", "exclude_health_checks"),
    ]
    assert re.search(rules[0]["pattern"], '{"level":"DEBUG"}')
    assert re.search(rules[1]["pattern"], '{"path":"/health"}')


def test_agent_resources_and_replicas() -> None:
    settings = DatadogAgentSettings(
        namespace="datadog",
        cluster_name="main",
        environment="staging",
        api_key_secret_name="datadog-api-key",
        cluster_agent_replicas=1,
        node_agent_resources=ContainerResources("100m", "200Mi", "1", "400Mi"),
    )
    override = datadog_agent(settings)["spec"]["override"]

    assert override["clusterAgent"]["replicas"] == 1
    assert override["nodeAgent"]["containers"]["agent"]["resources"] == {
        "requests": {"cpu": "100m", "memory": "200Mi"},
        "limits": {"cpu": "1", "memory": "400Mi"},
    }
    assert "resources" in override["clusterAgent"]["containers"]["cluster-agent"]
    with pytest.raises(ValueError, match="at least one replica"):
        DatadogAgentSettings("datadog", "main", "staging", "key", cluster_agent_replicas=0)


@pytest.mark.parametrize(("replicas", "budget"), [(1, None), (2, True), (3, True)])
def test_the_cluster_agent_gets_a_disruption_budget_from_two_replicas(
    replicas: int, budget: bool | None
) -> None:
    agent = datadog_agent(replace(AGENT, cluster_agent_replicas=replicas))

    assert agent["spec"]["override"]["clusterAgent"].get("createPodDisruptionBudget") is budget
    assert check_datadog_agent(agent) == []


def test_kubelet_tls_verification_is_a_setting() -> None:
    spec = datadog_agent(replace(AGENT, kubelet_tls_verify=False))["spec"]

    assert spec["global"]["kubelet"] == {"tlsVerify": False}


SHOP = ApmInstrumentation(namespaces=("shop", "payments"))


def test_single_step_instrumentation_injects_pinned_ddtrace_into_the_listed_namespaces() -> None:
    agent = datadog_agent(replace(AGENT, features=AgentFeatures(apm_instrumentation=SHOP)))

    assert agent["spec"]["features"]["apm"] == {
        "enabled": True,
        "instrumentation": {
            "enabled": True,
            # One target, no cluster-wide enabledNamespaces/libVersions: only Python, only there.
            "targets": [
                {
                    "name": "python",
                    "namespaceSelector": {"matchNames": ["shop", "payments"]},
                    "ddTraceVersions": {"python": "4.13.1"},
                }
            ],
        },
    }
    assert SHOP.ddtrace_version == DD_TRACE_PY_VERSION == "4.13.1"
    assert check_datadog_agent(agent) == []
    custom = ApmInstrumentation(namespaces=("shop",), ddtrace_version="3.19.8")
    targets = agent_features(AgentFeatures(apm_instrumentation=custom))["features"]["apm"]
    assert targets["instrumentation"]["targets"][0]["ddTraceVersions"] == {"python": "3.19.8"}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ApmInstrumentation(namespaces=()), "at least one namespace"),
        (lambda: ApmInstrumentation(namespaces=("shop", "shop")), "listed twice"),
        (lambda: ApmInstrumentation(("shop",), ddtrace_version="latest"), "not a release"),
        (lambda: ApmInstrumentation(("shop",), ddtrace_version="4"), "not a release"),
        (lambda: ApmInstrumentation(("shop",), ddtrace_version="v4.13.1"), "not a release"),
        (lambda: ApmInstrumentation(("shop",), ddtrace_version="4.14.0rc4"), "not a release"),
        (lambda: AgentFeatures(apm=False, apm_instrumentation=SHOP), "needs APM"),
        (
            lambda: replace(
                AGENT,
                features=AgentFeatures(apm_instrumentation=ApmInstrumentation(("datadog",))),
            ),
            "skips the Agent's namespace 'datadog'",
        ),
    ],
)
def test_single_step_instrumentation_that_cannot_work_is_refused(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


OPERATOR = OperatorSettings("datadog", "datadog-api-key", "main")


def test_the_operator_pod_lets_in_its_metrics_scrape_and_probe_and_out_dns_and_https() -> None:
    policy = operator_network_policy(OPERATOR, AGENT)
    spec = policy["spec"]
    release = operator_release(OPERATOR)

    assert check_kubernetes_object(policy, "1.30") == []
    assert policy["metadata"] == {
        "name": "datadog-operator",
        "namespace": "datadog",
        "labels": {"app.kubernetes.io/managed-by": "pulumi"},
    }
    assert spec["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": release.chart,
            "app.kubernetes.io/instance": release.name,
        }
    }
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [
        {
            "from": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "agent.datadoghq.com/component": "agent",
                            "app.kubernetes.io/part-of": "datadog-datadog",
                        }
                    }
                }
            ],
            "ports": [tcp(8383)],
        },
        {"ports": [tcp(8081)]},
    ]
    assert spec["egress"] == DNS_AND_HTTPS


def test_the_node_agent_is_selected_by_the_part_of_label_the_operator_writes() -> None:
    # A `-` inside the namespace or the name is doubled, so that the one between them splits.
    renamed = replace(AGENT, namespace="dd-system", name="my-agent")

    assert node_agent_pod_labels(renamed) == {
        "agent.datadoghq.com/component": "agent",
        "app.kubernetes.io/part-of": "dd--system-my--agent",
    }
