"""The dashboard of the telemetry pipeline on EKS: OpenTelemetry Collector and Datadog Agent.

Collector metric names: the Collector's internal metrics reach Datadog the way Datadog documents
for Collector health (and uses in its own Collector dashboard): the Collector exposes them on its
Prometheus endpoint (:8888) and scrapes itself with the `prometheus` receiver into the `datadog`
exporter, which keeps the Prometheus names: `otelcol_receiver_accepted_spans`, not
`otelcol.receiver.accepted_spans`. That endpoint must run with `without_type_suffix` and
`without_units`, as Datadog's setup has it; otherwise counters gain `_total` and the memory
gauge `_bytes`, and these widgets stay empty. Counters arrive as deltas, hence `.as_rate()`.
"""

from components.dashboards.widgets import (
    Formula,
    Json,
    MetricQuery,
    check_status,
    group,
    note,
    ordered_dashboard,
    query_value,
    template_variable,
    timeseries,
)

_SCOPE = "{$cluster}"
_SIGNALS = (("Spans", "spans"), ("Metric points", "metric_points"), ("Log records", "log_records"))
_ABOUT = (
    "Collector metrics come from the Collector's own Prometheus endpoint, scraped by its "
    "`prometheus` receiver and sent through the `datadog` exporter: see "
    "`components/dashboards/platform_dashboard.py` for the settings they need."
)


def platform_dashboard(cluster: str) -> Json:
    """The Collector and Agent dashboard, opening on the EKS cluster `cluster`."""
    return ordered_dashboard(
        f"Telemetry pipeline ({cluster})",
        description=(
            "OpenTelemetry Collector throughput, export health and memory, and Datadog Agent "
            "health and memory. Managed by Pulumi: changes made in the Datadog UI are overwritten."
        ),
        template_variables=[
            template_variable("cluster", prefix="kube_cluster_name", default=cluster),
        ],
        widgets=[
            note(_ABOUT),
            group(
                "Collector: receivers",
                [_accepted_and_refused(title, signal) for title, signal in _SIGNALS],
            ),
            group(
                "Collector: exporters",
                [
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
                ],
            ),
            group(
                "Collector: resources",
                [
                    timeseries(
                        "Collector memory (RSS)",
                        [MetricQuery("rss", f"max:otelcol_process_memory_rss{_SCOPE} by {{host}}")],
                        [Formula("rss", "rss")],
                    ),
                ],
            ),
            group(
                "Datadog Agent",
                [
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
                ],
            ),
        ],
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
