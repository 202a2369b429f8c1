"""OpenTelemetry Collector configurations for EKS, built as plain dicts from typed settings.

Two collectors run per cluster: a DaemonSet ("node collector") that receives OTLP from the pods on
its node, tails their logs and scrapes node-local metrics, and a one-replica Deployment ("cluster
collector") for the receivers that must run once per cluster (a DaemonSet would report the same
cluster metrics and events from every node).

Component names and keys follow collector-contrib 0.145.0 (`COLLECTOR_IMAGE`), the last release in
which `k8sattributes`, `kubeletstats`, `k8sobjects` and `resourcedetection` are the canonical names;
later releases rename them to snake_case and keep the old names as deprecated aliases. Moving the
image past 0.145.0 therefore means renaming those components here too.

Each collector also sends its own health metrics (`otelcol_*`), the way Datadog's "Collector
health metrics" page and contrib's datadog exporter example `collector-metrics.yaml` set it up: the
collector serves them on a Prometheus endpoint, and its own `prometheus` receiver scrapes that into
the `datadog` exporter. The endpoint is written out rather than left to the default: core 0.145.0's
default reader (service/telemetry/otelconftelemetry) serves localhost:8888 without type suffixes
or units, but a `readers` list replaces it whole and its `without_*` options default to false,
which turns `otelcol_receiver_accepted_spans` into `..._total` and `otelcol_process_memory_rss`
into `..._bytes`: the names Datadog documents (and the platform dashboard reads) are the plain ones.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from components.datadog_site import DATADOG_SITES, DatadogSite

COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.145.0"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
HEALTH_CHECK_PORT = 13133
KUBELET_PORT = 10250
TELEMETRY_PORT = 8888
"""The collector's own metrics, on localhost only: its own receiver is their one reader."""

API_KEY_DIR = "/etc/datadog-api-key"
API_KEY_FILE_NAME = "api-key"
"""The Datadog API key reaches the collector as a file of its Secret, read through the
collector's `file` config provider, not as an environment variable: a variable is inherited by
every process the container starts and shows in its environment dumps."""
POD_IP_ENV = "MY_POD_IP"
NODE_NAME_ENV = "K8S_NODE_NAME"
NODE_IP_ENV = "K8S_NODE_IP"

POD_LOGS_DIR = "/var/log/pods"
DOCKER_CONTAINERS_DIR = "/var/lib/docker/containers"

HEALTH_CHECK_PATHS = ("/health", "/healthz", "/ready", "/livez")
"""Probe endpoints whose requests are noise in Datadog, for the collector and the Agent alike."""

DEBUG_LOG_PATTERN = '"level(name)?": ?"DEBUG"'
"""Matches the level field of a JSON log line at DEBUG (`level` or Python's `levelname`)."""

NODE_RESOURCE_DETECTORS = ("env", "eks", "ec2")
"""The node collector's resource detectors. No `system` detector: with override it stamps the
collector pod's name as host.name."""

INSTANCE_METADATA_DETECTORS = frozenset({"eks", "ec2"})
"""Detectors that read EC2 instance metadata (IMDS, 169.254.169.254): in collector-contrib both
ask IMDS for the instance identity document first (resourcedetectionprocessor/internal/aws/ec2
and .../aws/eks), so the collector's NetworkPolicy opens IMDS only when one of them runs."""

# The route attributes of HTTP server spans and logs across semantic-convention generations.
_ROUTE_ATTRIBUTES = ("http.route", "url.path", "http.target")
_DATADOG_CONNECTOR = "datadog/connector"
_NOISE_FILTER = "filter/noise"
_SELF_SCRAPE = "prometheus/otelcol"
_SELF_PIPELINE = "metrics/otelcol"


@dataclass(frozen=True)
class BatchSettings:
    """How the batch processor groups telemetry before the Datadog exporter sends it."""

    send_batch_size: int = 100
    """Items that trigger a send. Datadog's own example uses 100; big batches get HTTP 413."""

    send_batch_max_size: int = 1000
    """Hard upper bound of one batch, whatever arrives at once."""

    timeout_seconds: int = 10
    """Longest wait before a partial batch is sent; Datadog's APM stats use 10 s buckets."""

    def __post_init__(self) -> None:
        if not 0 < self.send_batch_size <= self.send_batch_max_size:
            raise ValueError("batch sizes must satisfy 0 < send_batch_size <= send_batch_max_size")
        if self.timeout_seconds <= 0:
            raise ValueError("batch timeout must be positive")


@dataclass(frozen=True)
class MemoryLimiterSettings:
    """The memory_limiter processor, which refuses data before the collector runs out of memory."""

    check_interval_seconds: int = 5
    """How often memory use is measured."""

    limit_percentage: int = 80
    """Hard limit, as a share of the container's memory limit."""

    spike_limit_percentage: int = 25
    """Headroom kept below the hard limit for bursts between two checks."""

    def __post_init__(self) -> None:
        if not 0 < self.spike_limit_percentage < self.limit_percentage <= 100:
            raise ValueError(
                "memory limiter needs 0 < spike_limit_percentage < limit_percentage <= 100"
            )
        if self.check_interval_seconds <= 0:
            raise ValueError("memory limiter check interval must be positive")


@dataclass(frozen=True)
class CollectorSettings:
    """What both collectors share: where the data goes and how it is tagged and batched."""

    environment: str
    """Deployment environment stamped on all telemetry (Datadog's `env` tag)."""

    cluster_name: str
    """EKS cluster name stamped as `k8s.cluster.name`."""

    datadog_site: DatadogSite = "datadoghq.com"
    """Datadog site the exporter sends to."""

    batch: BatchSettings = field(default_factory=BatchSettings)
    """Batching before export."""

    memory_limiter: MemoryLimiterSettings = field(default_factory=MemoryLimiterSettings)
    """Memory protection, first processor of every pipeline."""

    def __post_init__(self) -> None:
        if not self.environment or not self.cluster_name:
            raise ValueError("environment and cluster_name are required")
        if self.datadog_site not in DATADOG_SITES:
            raise ValueError(f"unknown Datadog site {self.datadog_site!r}")


@dataclass(frozen=True)
class NodeCollectorSettings:
    """The node collector (DaemonSet): which signals it gathers besides the OTLP it receives."""

    collector: CollectorSettings
    """Destination, tagging and batching."""

    collect_container_logs: bool = True
    """Tail the pods' log files. Turn off when the Datadog Agent tails them instead, or every line
    is shipped twice. Logs that applications send over OTLP are accepted either way."""

    scrape_prometheus_pods: bool = True
    """Scrape pods on this node that opt in with the `prometheus.io/scrape: "true"` annotation."""

    collect_kubelet_stats: bool = True
    """Pod and container resource metrics from the node's kubelet."""

    verify_kubelet_tls: bool = True
    """Verify the kubelet's serving certificate against the cluster CA. EKS nodes request theirs
    from the cluster, with the node's IP addresses in it (kubelet `serverTLSBootstrap: true`:
    amazon-eks-ami, nodeadm/internal/kubelet/config.go at v20260724); a node whose kubelet signs
    its own certificate needs False."""

    scrape_interval_seconds: int = 30
    """Interval of the Prometheus scrapes and the kubelet stats."""

    health_check_paths: tuple[str, ...] = HEALTH_CHECK_PATHS
    """Request paths whose spans and logs are dropped."""

    def __post_init__(self) -> None:
        if self.scrape_interval_seconds <= 0:
            raise ValueError("scrape interval must be positive")
        if not all(path.startswith("/") for path in self.health_check_paths):
            raise ValueError("health check paths must start with '/'")


@dataclass(frozen=True)
class ClusterCollectorSettings:
    """The cluster collector (one-replica Deployment)."""

    collector: CollectorSettings
    """Destination, tagging and batching."""

    collect_events: bool = True
    """Ship Kubernetes events as logs."""

    collection_interval_seconds: int = 30
    """How often cluster metrics are emitted."""

    def __post_init__(self) -> None:
        if self.collection_interval_seconds <= 0:
            raise ValueError("collection interval must be positive")


def env_ref(name: str) -> str:
    """The collector's reference to an environment variable, resolved when the config loads."""
    return "${env:" + name + "}"


def file_ref(path: str) -> str:
    """The collector's reference to a file's content (the `file` config provider of the contrib
    distribution), resolved when the config loads."""
    return "${file:" + path + "}"


def health_check_log_pattern(paths: Iterable[str]) -> str:
    """Matches a JSON log line whose request path field is one of `paths`, exactly."""
    alternatives = "|".join(re.escape(path) for path in paths)
    return f'"(path|http\\.route|url\\.path)": ?"({alternatives})"'


def node_collector_config(settings: NodeCollectorSettings, *, own_log_glob: str) -> dict[str, Any]:
    """Configuration of the node collector.

    `own_log_glob` matches the log files of the collector's own pods: tailing them would feed every
    line the collector logs about exporting back into the export.
    """
    receivers: dict[str, Any] = {"otlp": _otlp_receiver(), _SELF_SCRAPE: _self_scrape()}
    metric_receivers = ["otlp"]
    log_receivers = ["otlp"]
    if settings.collect_container_logs:
        receivers["filelog"] = _filelog_receiver(own_log_glob)
        log_receivers.append("filelog")
    if settings.scrape_prometheus_pods:
        receivers["prometheus"] = _prometheus_pod_receiver(settings.scrape_interval_seconds)
        metric_receivers.append("prometheus")
    if settings.collect_kubelet_stats:
        receivers["kubeletstats"] = _kubeletstats_receiver(
            settings.scrape_interval_seconds, verify_tls=settings.verify_kubelet_tls
        )
        metric_receivers.append("kubeletstats")

    collector = settings.collector
    enrichment = ["k8sattributes", "resourcedetection", "resource"]
    return {
        "receivers": receivers,
        "processors": {
            "memory_limiter": _memory_limiter(collector.memory_limiter),
            _NOISE_FILTER: _noise_filter(settings.health_check_paths),
            "k8sattributes": _k8sattributes(),
            "resourcedetection": {
                "detectors": list(NODE_RESOURCE_DETECTORS),
                "timeout": "15s",
                "override": False,
            },
            "resource": _resource(collector),
            "batch": _batch(collector.batch),
        },
        "connectors": {_DATADOG_CONNECTOR: {}},
        "exporters": {"datadog": _datadog_exporter(collector.datadog_site)},
        "extensions": {"health_check": _health_check()},
        "service": {
            "extensions": ["health_check"],
            "telemetry": _telemetry(),
            "pipelines": {
                # APM stats come from the connector: traces feed it, its metrics join the metrics.
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", _NOISE_FILTER, *enrichment, "batch"],
                    "exporters": [_DATADOG_CONNECTOR, "datadog"],
                },
                "metrics": {
                    "receivers": [*metric_receivers, _DATADOG_CONNECTOR],
                    "processors": ["memory_limiter", *enrichment, "batch"],
                    "exporters": ["datadog"],
                },
                "logs": {
                    "receivers": log_receivers,
                    "processors": ["memory_limiter", _NOISE_FILTER, *enrichment, "batch"],
                    "exporters": ["datadog"],
                },
                # The collector's own metrics describe its pod, not a workload to enrich.
                _SELF_PIPELINE: {
                    "receivers": [_SELF_SCRAPE],
                    "processors": ["memory_limiter", "resourcedetection", "resource", "batch"],
                    "exporters": ["datadog"],
                },
            },
        },
    }


def cluster_collector_config(settings: ClusterCollectorSettings) -> dict[str, Any]:
    """Configuration of the cluster collector.

    No resource detection here: these metrics describe the cluster, and the host the collector
    happens to run on would be a misleading tag.
    """
    collector = settings.collector
    receivers: dict[str, Any] = {
        "k8s_cluster": {
            "auth_type": "serviceAccount",
            "collection_interval": f"{settings.collection_interval_seconds}s",
            "node_conditions_to_report": ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"],
            "allocatable_types_to_report": ["cpu", "memory"],
        }
    }
    receivers[_SELF_SCRAPE] = _self_scrape()
    pipelines = {
        "metrics": _cluster_pipeline("k8s_cluster"),
        _SELF_PIPELINE: _cluster_pipeline(_SELF_SCRAPE),
    }
    if settings.collect_events:
        receivers["k8sobjects"] = {
            "auth_type": "serviceAccount",
            "objects": [{"name": "events", "mode": "watch", "group": "events.k8s.io"}],
        }
        pipelines["logs"] = _cluster_pipeline("k8sobjects")
    return {
        "receivers": receivers,
        "processors": {
            "memory_limiter": _memory_limiter(collector.memory_limiter),
            "resource": _resource(collector),
            "batch": _batch(collector.batch),
        },
        "exporters": {"datadog": _datadog_exporter(collector.datadog_site)},
        "extensions": {"health_check": _health_check()},
        "service": {
            "extensions": ["health_check"],
            "telemetry": _telemetry(),
            "pipelines": pipelines,
        },
    }


def render_collector_config(config: dict[str, Any]) -> str:
    """YAML text of a configuration, with sorted keys so that equal configs render identically."""
    return yaml.safe_dump(config, sort_keys=True, default_flow_style=False, width=1000)


def _cluster_pipeline(receiver: str) -> dict[str, Any]:
    return {
        "receivers": [receiver],
        "processors": ["memory_limiter", "resource", "batch"],
        "exporters": ["datadog"],
    }


def _otlp_receiver() -> dict[str, Any]:
    pod_ip = env_ref(POD_IP_ENV)
    return {
        "protocols": {
            "grpc": {"endpoint": f"{pod_ip}:{OTLP_GRPC_PORT}"},
            "http": {"endpoint": f"{pod_ip}:{OTLP_HTTP_PORT}"},
        }
    }


def _filelog_receiver(own_log_glob: str) -> dict[str, Any]:
    return {
        "include": [f"{POD_LOGS_DIR}/*/*/*.log"],
        "exclude": [own_log_glob],
        "start_at": "end",
        "include_file_path": True,
        "include_file_name": False,
        # Parses the CRI/docker line format and sets k8s.* resource attributes from the file path.
        "operators": [{"type": "container", "id": "container-parser"}],
    }


def _prometheus_pod_receiver(interval_seconds: int) -> dict[str, Any]:
    # `$$` is how a literal `$` survives the collector's own variable expansion.
    relabel_configs = [
        {
            "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
            "regex": "true",
            "action": "keep",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_phase"],
            "regex": "Pending|Succeeded|Failed",
            "action": "drop",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"],
            "regex": "(https?)",
            "target_label": "__scheme__",
            "action": "replace",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
            "regex": "(.+)",
            "target_label": "__metrics_path__",
            "action": "replace",
        },
        {
            "source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
            "regex": "([^:]+)(?::\\d+)?;(\\d+)",
            "replacement": "$$1:$$2",
            "target_label": "__address__",
            "action": "replace",
        },
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
    ]
    return {
        "config": {
            "scrape_configs": [
                {
                    "job_name": "kubernetes-pods",
                    "scrape_interval": f"{interval_seconds}s",
                    "kubernetes_sd_configs": [
                        {
                            "role": "pod",
                            # Each node collector discovers only the pods of its own node.
                            "selectors": [
                                {"role": "pod", "field": f"spec.nodeName={env_ref(NODE_NAME_ENV)}"}
                            ],
                        }
                    ],
                    "relabel_configs": relabel_configs,
                }
            ]
        }
    }


def _self_scrape() -> dict[str, Any]:
    # The job and interval of Datadog's own setup; the resource processor adds the cluster, which
    # the datadog exporter turns into the `kube_cluster_name` tag the dashboard filters on.
    return {
        "config": {
            "scrape_configs": [
                {
                    "job_name": "otelcol",
                    "scrape_interval": "10s",
                    "static_configs": [{"targets": [f"localhost:{TELEMETRY_PORT}"]}],
                }
            ]
        }
    }


def _telemetry() -> dict[str, Any]:
    return {
        "metrics": {
            "level": "normal",
            "readers": [
                {
                    "pull": {
                        "exporter": {
                            "prometheus": {
                                "host": "localhost",
                                "port": TELEMETRY_PORT,
                                "without_type_suffix": True,
                                "without_units": True,
                                "without_scope_info": True,
                            }
                        }
                    }
                }
            ],
        }
    }


def _kubeletstats_receiver(interval_seconds: int, *, verify_tls: bool) -> dict[str, Any]:
    # With serviceAccount auth the receiver trusts the service account's ca.crt, the cluster CA
    # that signs EKS kubelets' serving certificates; the kubelet puts the node's IPs in their
    # requests (kubernetes pkg/kubelet/certificate/kubelet.go), so dialling the host IP verifies.
    return {
        "collection_interval": f"{interval_seconds}s",
        "auth_type": "serviceAccount",
        "endpoint": f"{env_ref(NODE_IP_ENV)}:{KUBELET_PORT}",
        "insecure_skip_verify": not verify_tls,
    }


def _memory_limiter(settings: MemoryLimiterSettings) -> dict[str, Any]:
    return {
        "check_interval": f"{settings.check_interval_seconds}s",
        "limit_percentage": settings.limit_percentage,
        "spike_limit_percentage": settings.spike_limit_percentage,
    }


def _k8sattributes() -> dict[str, Any]:
    return {
        "auth_type": "serviceAccount",
        "passthrough": False,
        # A node collector only needs the pods of its node; watching all pods costs memory per node.
        "filter": {"node_from_env_var": NODE_NAME_ENV},
        "extract": {
            "metadata": [
                "k8s.namespace.name",
                "k8s.pod.name",
                "k8s.pod.uid",
                "k8s.pod.start_time",
                "k8s.deployment.name",
                "k8s.node.name",
                "k8s.container.name",
                "container.image.name",
                "container.image.tag",
            ]
        },
        # Pod IP first (set by SDKs and agents), then UID (set by the filelog container parser),
        # then the sender's address. Pods on the host network share the node's IP and cannot be told
        # apart by address.
        "pod_association": [
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.ip"}]},
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
            {"sources": [{"from": "connection"}]},
        ],
    }


def _resource(settings: CollectorSettings) -> dict[str, Any]:
    # upsert: a cluster belongs to one environment, so no telemetry from it may claim another.
    values = {
        "deployment.environment": settings.environment,
        "deployment.environment.name": settings.environment,
        "k8s.cluster.name": settings.cluster_name,
    }
    return {
        "attributes": [
            {"key": key, "value": value, "action": "upsert"} for key, value in values.items()
        ]
    }


def _noise_filter(health_check_paths: tuple[str, ...]) -> dict[str, Any]:
    route_regex = "^(" + "|".join(re.escape(path) for path in health_check_paths) + ")$"
    route_conditions = [
        f"IsMatch(attributes[{_ottl_string(name)}], {_ottl_string(route_regex)})"
        for name in _ROUTE_ATTRIBUTES
    ]
    return {
        # A condition that fails to evaluate keeps the item rather than stopping the pipeline.
        "error_mode": "ignore",
        "traces": {"span": route_conditions},
        "logs": {
            "log_record": [
                # UNSPECIFIED (0) is excluded: raw container lines carry no severity at all.
                "severity_number > SEVERITY_NUMBER_UNSPECIFIED"
                " and severity_number < SEVERITY_NUMBER_INFO",
                f"IsMatch(body, {_ottl_string(DEBUG_LOG_PATTERN)})",
                f"IsMatch(body, {_ottl_string(health_check_log_pattern(health_check_paths))})",
                *route_conditions,
            ]
        },
    }


def _batch(settings: BatchSettings) -> dict[str, Any]:
    return {
        "send_batch_size": settings.send_batch_size,
        "send_batch_max_size": settings.send_batch_max_size,
        "timeout": f"{settings.timeout_seconds}s",
    }


def _datadog_exporter(site: str) -> dict[str, Any]:
    return {"api": {"key": file_ref(f"{API_KEY_DIR}/{API_KEY_FILE_NAME}"), "site": site}}


def _health_check() -> dict[str, Any]:
    return {"endpoint": f"{env_ref(POD_IP_ENV)}:{HEALTH_CHECK_PORT}"}


def _ottl_string(value: str) -> str:
    # OTTL string literals escape quotes and backslashes the way JSON does.
    return json.dumps(value)
