"""What reaches Datadog: the signals the parts of a stack send, and what a monitor or widget reads.

A payload can pass every schema and still show nothing: an APM monitor on a service that sends no
traces stays in No Data forever, a widget on a metric nothing emits stays empty. So every monitor
and widget names the signals it reads (`Need`), and a stack's `Telemetry`, derived from its
config, says which of them something in the stack sends, and why the others are missing.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Signal(StrEnum):
    """A kind of data that reaches Datadog from one source (a service or a cluster)."""

    TRACES = "APM traces"
    """Spans through an Agent; Datadog computes the `trace.<operation>.*` metrics from them."""
    DOGSTATSD = "DogStatsD metrics"
    """The app's own metrics, through the Agent's DogStatsD server."""
    AGENT_METRICS = "Datadog Agent metrics"
    """What an Agent reports by itself: `datadog.agent.*`, container and ECS Fargate metrics."""
    LOGS = "logs"
    """Logs in Datadog tagged with the source's `service`."""
    LLM_OBSERVABILITY = "LLM Observability"
    """LLM spans (LLM Observability), sent through an Agent or agentless."""
    MONITORS = "monitors"
    """Monitors the stack creates for the source, which a monitor summary lists."""
    SLOS = "SLOs"
    """Service level objectives the stack creates for the source, which SLO widgets show."""
    COLLECTOR_TELEMETRY = "OpenTelemetry Collector metrics"
    """The collectors' own `otelcol_*` metrics, scraped from their telemetry endpoint."""


@dataclass(frozen=True, order=True)
class Need:
    """One signal of one source: what a monitor or widget reads."""

    signal: Signal
    source: str
    """The service (DD_SERVICE) or the EKS cluster that must send it."""

    def __str__(self) -> str:
        return f"{self.signal} of {self.source}"


@dataclass(frozen=True)
class Gap:
    """A need that nothing in the stack meets, and why."""

    need: Need
    reason: str
    """Why the source does not send it, e.g. `an agentless service sends no traces`."""


@dataclass(frozen=True)
class Telemetry:
    """What the stack sends to Datadog, and why the rest is missing."""

    signals: Mapping[Need, str | None] = field(default_factory=dict)
    """Every signal of every source the stack knows: None when it is sent, otherwise why not."""

    def gap(self, needs: Iterable[Need]) -> Gap | None:
        """The first of `needs` that nothing sends, or None when all are sent."""
        for need in needs:
            if need not in self.signals:
                return Gap(need, f"nothing in the stack sends {need}")
            why_not = self.signals[need]
            if why_not is not None:
                return Gap(need, why_not)
        return None

    def extended(self, signals: Mapping[Need, str | None]) -> "Telemetry":
        """This telemetry with `signals` added (or replaced)."""
        return Telemetry({**self.signals, **signals})


# `service:x` and `env:x` terms of a log search or a metric filter; negated terms (`-env:x`,
# `!env:x`) and facets (`@env:x`) are not references.
_SCOPE_TERM: Final = re.compile(r"(?<![\w@.!-])(service|env):([^\s(){},\"]+)")


def scope_terms(text: str) -> list[tuple[str, str]]:
    """The (`service` or `env`, value) pairs a log search or metric filter selects by name."""
    return [(tag, value) for tag, value in _SCOPE_TERM.findall(text)]


def named_services(texts: Iterable[str]) -> list[str]:
    """Services named exactly (no wildcard) by `service:` terms, in order of appearance."""
    named: dict[str, None] = {}
    for text in texts:
        for tag, value in scope_terms(text):
            if tag == "service" and "*" not in value and "?" not in value:
                named.setdefault(value)
    return list(named)


# Metrics an Agent reports by itself, whoever runs it: its own health, its container check and,
# on Fargate, its `ecs_fargate` check.
_AGENT_METRIC_PREFIXES: Final = ("datadog.agent.", "container.", "ecs.fargate.")


def metric_signal(metric: str) -> Signal:
    """The signal a metric of a service arrives with.

    `trace.*` metrics are computed by Datadog from the service's spans and `ml_obs.*` from its
    LLM Observability spans; the Agent's own metrics come with the Agent; any other metric of a
    service is taken for one it sends itself through DogStatsD (a metric from outside the stack
    must be declared so).
    """
    if metric.startswith("trace."):
        return Signal.TRACES
    # Datadog computes `ml_obs.*` from LLM Observability spans ("LLM Observability Metrics").
    if metric.startswith("ml_obs."):
        return Signal.LLM_OBSERVABILITY
    if metric.startswith(_AGENT_METRIC_PREFIXES):
        return Signal.AGENT_METRICS
    return Signal.DOGSTATSD
