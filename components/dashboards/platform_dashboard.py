"""The dashboard of the telemetry pipeline on EKS: OpenTelemetry Collector and Datadog Agent.

Collector metric names: the Collector's internal metrics reach Datadog the way Datadog documents
for Collector health (and uses in its own Collector dashboard): each collector serves them on its
Prometheus endpoint (localhost:8888) and scrapes itself with a `prometheus` receiver into the
`datadog` exporter (`components.eks.collector_config`), which keeps the Prometheus names:
`otelcol_receiver_accepted_spans`, not `otelcol.receiver.accepted_spans`. The endpoint runs with
`without_type_suffix` and `without_units`, as Datadog's setup has it; otherwise counters gain
`_total` and the memory gauge `_bytes`, and these widgets stay empty. Counters arrive as deltas,
hence `.as_rate()`. The collectors' resource processor adds `k8s.cluster.name`, which the exporter
maps to the `kube_cluster_name` tag that `$cluster` filters on; the Agent tags its metrics with it
from the DatadogAgent's `clusterName`.

Collector widgets need the collector to run, Agent widgets the Agent (`components.telemetry`).
"""

from components.dashboards.widgets import (
    DashboardBuild,
    Formula,
    Json,
    MetricQuery,
    Section,
    check_status,
    fed,
    fed_dashboard,
    note,
    query_value,
    template_variable,
    timeseries,
)
from components.telemetry import Need, Signal, Telemetry

_SCOPE = "{$cluster}"
_SIGNALS = (("Spans", "spans"), ("Metric points", "metric_points"), ("Log records", "log_records"))
_ABOUT = (
    "Collector metrics come from the Collector's own Prometheus endpoint, scraped by its "
    "`prometheus` receiver and sent through the `datadog` exporter: see "
    "`components/eks/collector_config.py` for the settings they need."
)


def platform_dashboard(cluster: str, source: str, *, telemetry: Telemetry) -> DashboardBuild:
    """The Collector and Agent dashboard, opening on the EKS cluster `cluster`, whose telemetry
    comes from `source`; only the widgets that `telemetry` feeds."""
    collector = (Need(Signal.COLLECTOR_TELEMETRY, source),)
    agent = (Need(Signal.AGENT_METRICS, source),)
    return fed_dashboard(
        f"Telemetry pipeline ({cluster})",
        description=(
            "OpenTelemetry Collector throughput, export health and memory, and Datadog Agent "
            "health and memory. Managed by Pulumi: changes made in the Datadog UI are overwritten."
        ),
        template_variables=[
            template_variable("cluster", prefix="kube_cluster_name", default=cluster),
        ],
        layout=[
            Section(
                "Collector: receivers",
                fed(
                    collector,
                    note(_ABOUT),
                    *(_accepted_and_refused(title, signal) for title, signal in _SIGNALS),
                ),
            ),
            Section(
                "Collector: exporters",
                fed(
                    collector,
                    timeseries(
                        "Exporter queue (batches)",
                        [
                            MetricQuery(
                                "size", f"max:otelcol_exporter_queue_size{_SCOPE} by {{exporter}}"
                            ),
                            MetricQuery(
                                "capacity",
                                f"max:otelcol_exporter_queue_capacity{_SCOPE} by {{exporter}}",
                            ),
                        ],
                        [Formula("size", "queued"), Formula("capacity", "capacity")],
                    ),
                    timeseries(
                        "Send failures /s",
                        [
                            MetricQuery(
                                signal,
                                f"sum:otelcol_exporter_send_failed_{signal}{_SCOPE}"
                                " by {exporter}.as_rate()",
                            )
                            for _, signal in _SIGNALS
                        ],
                        [Formula(signal, title.lower()) for title, signal in _SIGNALS],
                        display_type="bars",
                    ),
                ),
            ),
            Section(
                "Collector: resources",
                fed(
                    collector,
                    timeseries(
                        "Collector memory (RSS)",
                        [MetricQuery("rss", f"max:otelcol_process_memory_rss{_SCOPE} by {{host}}")],
                        [Formula("rss", "rss")],
                    ),
                ),
            ),
            Section(
                "Datadog Agent",
                fed(
                    agent,
                    query_value(
                        "Agents running",
                        [MetricQuery("running", f"sum:datadog.agent.running{_SCOPE}", "last")],
                        Formula("running"),
                        precision=0,
                    ),
                    check_status("Agent health", "datadog.agent.up", tags=["$cluster"]),
                    timeseries(
                        "Agents running by version",
                        [
                            MetricQuery(
                                "running", f"sum:datadog.agent.running{_SCOPE} by {{version}}"
                            )
                        ],
                        [Formula("running", "agents")],
                        display_type="bars",
                    ),
                    timeseries(
                        "Agent memory",
                        [
                            MetricQuery(
                                "memory",
                                "max:container.memory.usage{$cluster,kube_container_name:agent}"
                                " by {host}",
                            )
                        ],
                        [Formula("memory", "memory")],
                    ),
                ),
            ),
        ],
        telemetry=telemetry,
    )


def _accepted_and_refused(title: str, signal: str) -> Json:
    """Items per second a receiver pushed into the pipeline, and those the pipeline refused."""
    return timeseries(
        f"{title} accepted and refused /s",
        [
            MetricQuery("accepted", f"sum:otelcol_receiver_accepted_{signal}{_SCOPE}.as_rate()"),
            MetricQuery("refused", f"sum:otelcol_receiver_refused_{signal}{_SCOPE}.as_rate()"),
        ],
        [Formula("accepted", "accepted"), Formula("refused", "refused")],
    )
