"""The dashboard of one Python service traced by ddtrace.

ddtrace names its APM metrics after the root span's operation (`fastapi.request`,
`flask.request`, `django.request`): `trace.<operation>.hits` and `.errors` are counts, and the
distribution `trace.<operation>` (seconds) gives percentiles over all hosts and containers. Datadog
computes them from the spans an Agent receives, so they exist only for a service with an Agent.
LLM Observability has metrics of its own, computed from its spans whatever carried them
(Datadog's "LLM Observability Metrics" page): the counts `ml_obs.trace` and `ml_obs.trace.error`,
the distribution `ml_obs.trace.duration` (seconds) and per-model token distributions.

Every widget follows the `env` and `service` template variables, so the same dashboard can look at
another environment and never mixes them: metric scopes use `{$env,$service}`; the log stream and
the monitor summary use `$env $service`, which Datadog expands to `env:<value> service:<value>`
(its template variable docs; the Manage Monitors search takes `service:` and `env:` as facets
of monitor tags). A widget shows only what the service sends (`components.telemetry`).
"""

from collections.abc import Mapping

from components.dashboards.widgets import (
    DashboardBuild,
    Formula,
    Json,
    MetricQuery,
    Section,
    SloQuery,
    fed,
    fed_dashboard,
    log_stream,
    monitor_summary,
    query_value,
    slo_status,
    template_variable,
    timeseries,
    toplist,
)
from components.datadog_ids import IdRef
from components.slos.service_slos import SloShape
from components.telemetry import Need, Signal, Telemetry

_PERCENTILES = ("p50", "p95", "p99")
_LLM_PERCENTILES = ("p50", "p95")
_ERROR_RATE = Formula("100 * errors / hits", "error %")
_SCOPE = "{$env,$service}"
_SEARCH_SCOPE = "$env $service"


def service_dashboard(
    service: str,
    env: str,
    *,
    operation: str = "fastapi.request",
    telemetry: Telemetry,
    slos: Mapping[str, SloShape] | None = None,
) -> DashboardBuild:
    """The dashboard of `service` in `env`, whose ddtrace root spans are named `operation`, with
    the widgets that `telemetry` feeds and one row per SLO of `slos` (by role)."""
    traces = (Need(Signal.TRACES, service),)
    requests_per_second = MetricQuery("hits", f"sum:trace.{operation}.hits{_SCOPE}.as_rate()")
    latencies = [_latency(operation, percentile) for percentile in _PERCENTILES]
    error_rate = [_errors(operation), _hits(operation)]
    return fed_dashboard(
        f"{service} ({env})",
        description=(
            f"Requests, latency and errors of {service}, from ddtrace's `{operation}` spans. "
            "Managed by Pulumi: changes made in the Datadog UI are overwritten."
        ),
        template_variables=[
            template_variable("env", prefix="env", default=env),
            template_variable("service", prefix="service", default=service),
        ],
        layout=[
            Section(
                "At a glance",
                fed(
                    traces,
                    query_value("Requests/s", [requests_per_second], Formula("hits"), unit="req/s"),
                    query_value(
                        "p95 latency", [_latency(operation, "p95")], Formula("p95"), unit="s"
                    ),
                    query_value("Error rate", error_rate, _ERROR_RATE, unit="%"),
                ),
            ),
            Section(
                "Over time",
                fed(
                    traces,
                    timeseries("Requests/s", [requests_per_second], [Formula("hits", "req/s")]),
                    timeseries(
                        "Latency (s)",
                        latencies,
                        [Formula(percentile, percentile) for percentile in _PERCENTILES],
                    ),
                    timeseries("Error rate (%)", error_rate, [_ERROR_RATE]),
                ),
            ),
            Section(
                "Resources",
                fed(
                    traces,
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
                ),
            ),
            Section(
                "LLM Observability",
                fed(
                    (Need(Signal.LLM_OBSERVABILITY, service),),
                    timeseries(
                        "LLM traces and errors /s",
                        [
                            MetricQuery("traces", f"sum:ml_obs.trace{_SCOPE}.as_rate()"),
                            MetricQuery("errors", f"sum:ml_obs.trace.error{_SCOPE}.as_rate()"),
                        ],
                        [Formula("traces", "traces"), Formula("errors", "errors")],
                    ),
                    timeseries(
                        "LLM trace duration (s)",
                        [
                            MetricQuery(p, f"{p}:ml_obs.trace.duration{_SCOPE}", "percentile")
                            for p in _LLM_PERCENTILES
                        ],
                        [Formula(p, p) for p in _LLM_PERCENTILES],
                    ),
                    toplist(
                        "Tokens by model",
                        [
                            MetricQuery(
                                "tokens",
                                f"sum:ml_obs.span.llm.total.tokens{_SCOPE} by {{model_name}}",
                                "sum",
                            )
                        ],
                        Formula("tokens", "tokens"),
                    ),
                ),
                feature=True,
            ),
            Section(
                "Service level objectives",
                fed(
                    (Need(Signal.SLOS, service),),
                    *(
                        widget
                        for role, shape in (slos or {}).items()
                        for widget in _slo_widgets(role, shape)
                    ),
                ),
            ),
            Section(
                "Errors and alerts",
                (
                    *fed(
                        (Need(Signal.LOGS, service),),
                        log_stream("Error logs", f"{_SEARCH_SCOPE} status:error"),
                    ),
                    *fed(
                        (Need(Signal.MONITORS, service),),
                        monitor_summary("Monitors", _SEARCH_SCOPE),
                    ),
                ),
            ),
        ],
        telemetry=telemetry,
    )


def _slo_widgets(role: str, shape: SloShape) -> tuple[Json, ...]:
    """Status, remaining budget and burn rate of the SLO of `role`, over its primary timeframe
    (the dashboard's time frame for the burn rate); the id is filled in once the SLO exists."""
    slo_id = str(IdRef("slo", role))

    def measure(name: str) -> SloQuery:
        return SloQuery(name, slo_id, name, shape.type)

    return (
        slo_status(f"{role.capitalize()} SLO", slo_id, shape.timeframes),
        query_value(
            f"{role.capitalize()}: error budget left ({shape.timeframe})",
            [measure("error_budget_remaining")],
            Formula("error_budget_remaining"),
            unit="%",
        ),
        timeseries(
            f"{role.capitalize()}: burn rate",
            [measure("burn_rate")],
            [Formula("burn_rate", "burn rate")],
        ),
    )


def _latency(operation: str, percentile: str, *, by: str | None = None) -> MetricQuery:
    return MetricQuery(percentile, f"{percentile}:trace.{operation}{_scope(by)}", "percentile")


# Errors and hits are summed as counts over the same interval, so their ratio is the share of
# failed requests whatever the rollup.
def _errors(operation: str, *, by: str | None = None) -> MetricQuery:
    return MetricQuery("errors", f"sum:trace.{operation}.errors{_scope(by)}.as_count()", "sum")


def _hits(operation: str) -> MetricQuery:
    return MetricQuery("hits", f"sum:trace.{operation}.hits{_SCOPE}.as_count()", "sum")


def _scope(by: str | None = None) -> str:
    return f"{_SCOPE} by {{{by}}}" if by else _SCOPE
