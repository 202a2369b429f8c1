"""The dashboard of one Python web service traced by ddtrace.

ddtrace names its APM metrics after the root span's operation (`fastapi.request`,
`flask.request`, `django.request`): `trace.<operation>.hits` and `.errors` are counts, and the
distribution `trace.<operation>` (seconds) gives percentiles over all hosts and containers.
Metric queries follow the `env` and `service` template variables, so the same dashboard can look
at another environment; the log stream and monitor summary stay on this service.
"""

from components.dashboards.widgets import (
    Formula,
    Json,
    MetricQuery,
    group,
    log_stream,
    monitor_summary,
    ordered_dashboard,
    query_value,
    template_variable,
    timeseries,
    toplist,
)

_PERCENTILES = ("p50", "p95", "p99")
_ERROR_RATE = Formula("100 * errors / hits", "error %")


def service_dashboard(service: str, env: str, *, operation: str = "fastapi.request") -> Json:
    """The dashboard of `service` in `env`, whose ddtrace root spans are named `operation`."""
    requests_per_second = MetricQuery("hits", f"sum:trace.{operation}.hits{_scope()}.as_rate()")
    latencies = [_latency(operation, percentile) for percentile in _PERCENTILES]
    error_rate = [_errors(operation), _hits(operation)]
    return ordered_dashboard(
        f"{service} ({env})",
        description=(
            f"Requests, latency and errors of {service}, from ddtrace's `{operation}` spans. "
            "Managed by Pulumi: changes made in the Datadog UI are overwritten."
        ),
        template_variables=[
            template_variable("env", prefix="env", default=env),
            template_variable("service", prefix="service", default=service),
        ],
        widgets=[
            group(
                "At a glance",
                [
                    query_value("Requests/s", [requests_per_second], Formula("hits"), unit="req/s"),
                    query_value(
                        "p95 latency", [_latency(operation, "p95")], Formula("p95"), unit="s"
                    ),
                    query_value("Error rate", error_rate, _ERROR_RATE, unit="%"),
                ],
            ),
            group(
                "Over time",
                [
                    timeseries("Requests/s", [requests_per_second], [Formula("hits", "req/s")]),
                    timeseries(
                        "Latency (s)",
                        latencies,
                        [Formula(percentile, percentile) for percentile in _PERCENTILES],
                    ),
                    timeseries("Error rate (%)", error_rate, [_ERROR_RATE]),
                ],
            ),
            group(
                "Resources",
                [
                    toplist(
                        "Slowest resources (p95, s)",
                        [_latency(operation, "p95", by="resource_name")],
                        Formula("p95", "p95 latency"),
                    ),
                    toplist(
                        "Resources with most errors",
                        [_errors(operation, by="resource_name")],
                        Formula("errors", "errors"),
                    ),
                ],
            ),
            group(
                "Errors and alerts",
                [
                    log_stream("Error logs", f"service:{service} status:error"),
                    monitor_summary("Monitors", f'tag:"service:{service}"'),
                ],
            ),
        ],
    )


def _latency(operation: str, percentile: str, *, by: str | None = None) -> MetricQuery:
    return MetricQuery(percentile, f"{percentile}:trace.{operation}{_scope(by)}", "percentile")


# Errors and hits are summed as counts over the same interval, so their ratio is the share of
# failed requests whatever the rollup.
def _errors(operation: str, *, by: str | None = None) -> MetricQuery:
    return MetricQuery("errors", f"sum:trace.{operation}.errors{_scope(by)}.as_count()", "sum")


def _hits(operation: str) -> MetricQuery:
    return MetricQuery("hits", f"sum:trace.{operation}.hits{_scope()}.as_count()", "sum")


def _scope(by: str | None = None) -> str:
    scope = "{$env,$service}"
    return f"{scope} by {{{by}}}" if by else scope
