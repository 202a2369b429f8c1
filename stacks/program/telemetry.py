"""What a stack sends to Datadog, and the monitors and dashboards that it feeds.

`stack_telemetry` derives from the config which signals each service and the EKS cluster send
(`components.telemetry`). `telemetry_plan` then keeps every monitor and dashboard widget that will
have data. One the stack gets by default but nothing feeds is left out, and a note says why; one
the stack file asks for explicitly is refused at its key, like any other mistake, because it
would sit in No Data forever.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components.dashboards import platform_dashboard, service_dashboard
from components.dashboards.widgets import DashboardBuild, Json, LeftOut
from components.monitors import PlannedMonitor
from components.problems import Problem
from components.slos.service_slos import PlannedSlo
from components.telemetry import Need, Signal, Telemetry
from stacks.program.errors import NAMESPACE
from stacks.program.model import StackConfig
from stacks.program.model.eks import EksSettings
from stacks.program.model.monitors import DEFAULT_MONITOR_FIELDS, MonitorsSettings
from stacks.program.model.services import ServiceSettings


def monitor_key(role: str) -> str:
    """Where a service's monitor of `role` is configured, under its `monitors` key."""
    field = DEFAULT_MONITOR_FIELDS.get(role)
    if field is None:
        return f"custom.{role}"
    return MonitorsSettings.model_fields[field].alias or field


def cluster_source(eks: EksSettings) -> str:
    """How telemetry names the EKS cluster as a source (apart from any service's name)."""
    return f"cluster {eks.cluster_name}"


def stack_telemetry(config: StackConfig) -> Telemetry:
    """What each service and the cluster of the stack send, and why they send no more."""
    signals = {
        Need(signal, service.name): why_not
        for service in config.services
        for signal, why_not in _service_signals(service).items()
    }
    if config.eks is not None:
        cluster = cluster_source(config.eks)
        signals |= {
            Need(signal, cluster): why_not
            for signal, why_not in _cluster_signals(config.eks).items()
        }
    return Telemetry(signals)


def _service_signals(service: ServiceSettings) -> dict[Signal, str | None]:
    """Each signal a service could send: None when it sends it, otherwise why it does not."""
    agentless = service.agent == "agentless"
    # ddtrace sends spans to an Agent, and Datadog computes `trace.*` from what Agents receive.
    traces = None
    if agentless:
        traces = "an agentless service sends no traces"
    elif not service.trace_enabled:
        traces = "traceEnabled is false"
    return {
        Signal.TRACES: traces,
        Signal.DOGSTATSD: "an agentless service has no DogStatsD" if agentless else None,
        Signal.AGENT_METRICS: "an agentless service runs no Agent" if agentless else None,
        Signal.LOGS: None
        if service.logs.destination == "datadog"
        else "its logs go to CloudWatch, not Datadog",
        Signal.LLM_OBSERVABILITY: None
        if service.llm_observability is not None
        else "llmObservability is off",
    }


def _cluster_signals(eks: EksSettings) -> dict[Signal, str | None]:
    return {
        Signal.COLLECTOR_TELEMETRY: None
        if eks.collector.enabled
        else "the collector is off (collector.enabled: false)",
        Signal.AGENT_METRICS: None
        if eks.agent.enabled
        else "the Agent is off (agent.enabled: false)",
    }


@dataclass(frozen=True)
class ServicePlan:
    """What a service gets in Datadog."""

    monitors: dict[str, PlannedMonitor]
    """Its monitors by role, those with data only."""
    slos: dict[str, PlannedSlo]
    """Its SLOs by role, those with data only."""
    dashboard: Json | None
    """Its dashboard, None when turned off or when nothing on it would have data."""


@dataclass(frozen=True)
class TelemetryPlan:
    """The stack's monitors and dashboards that will have data, and what was left out."""

    services: dict[str, ServicePlan]
    """By service name."""
    platform_dashboard: Json | None
    """The EKS telemetry pipeline's dashboard, None without EKS or when turned off."""
    notes: tuple[str, ...]
    """One line per default monitor or dashboard left out, and why."""
    problems: tuple[Problem, ...]
    """Monitors and dashboards asked for explicitly that nothing would feed."""

    @property
    def manages_datadog_resources(self) -> bool:
        """Whether there is any monitor or dashboard, and so a Datadog provider and its keys."""
        return self.platform_dashboard is not None or any(
            plan.monitors or plan.slos or plan.dashboard is not None
            for plan in self.services.values()
        )


def telemetry_plan(
    config: StackConfig,
    planned: Mapping[str, Mapping[str, PlannedMonitor]],
    planned_slos: Mapping[str, Mapping[str, PlannedSlo]],
) -> TelemetryPlan:
    """Every monitor, SLO and dashboard of the stack that has data; see the module docstring.

    `planned` holds each service's monitors by role, unbuilt (`monitor_builders`), and
    `planned_slos` its SLOs (`slo_builders`)."""
    telemetry = stack_telemetry(config)
    notes: list[str] = []
    problems: list[Problem] = []
    monitors: dict[str, dict[str, PlannedMonitor]] = {}
    slos: dict[str, dict[str, PlannedSlo]] = {}
    for index, service in enumerate(config.services):
        monitors[service.name] = _fed_monitors(
            index, service, planned[service.name], telemetry, notes=notes, problems=problems
        )
        slos[service.name] = _fed_slos(
            index, service, planned_slos[service.name], telemetry, notes=notes, problems=problems
        )
    # A monitor summary shows the monitors the stack creates, SLO widgets its SLOs: with none,
    # they stay empty.
    telemetry = telemetry.extended(
        {
            **{
                Need(Signal.MONITORS, name): None if fed else "it has no monitors"
                for name, fed in monitors.items()
            },
            **{
                Need(Signal.SLOS, name): None if fed else "it has no SLOs"
                for name, fed in slos.items()
            },
        }
    )
    services = {}
    for index, service in enumerate(config.services):
        dashboard = None
        if service.dashboard:
            build = service_dashboard(
                service.name,
                config.environment.name,
                operation=service.operation,
                telemetry=telemetry,
                slos={role: slo.shape for role, slo in slos[service.name].items()},
            )
            dashboard = _kept_dashboard(
                build,
                subject=service.name,
                explicit="dashboard" in service.model_fields_set,
                key=f"{NAMESPACE}:services[{index}].dashboard",
                notes=notes,
                problems=problems,
            )
        services[service.name] = ServicePlan(monitors[service.name], slos[service.name], dashboard)
    platform = None
    eks = config.eks
    if eks is not None and eks.dashboard:
        platform = _kept_dashboard(
            platform_dashboard(eks.cluster_name, cluster_source(eks), telemetry=telemetry),
            subject=cluster_source(eks),
            explicit="dashboard" in eks.model_fields_set,
            key=f"{NAMESPACE}:eks.dashboard",
            notes=notes,
            problems=problems,
        )
    return TelemetryPlan(services, platform, tuple(notes), tuple(problems))


def _fed_monitors(
    index: int,
    service: ServiceSettings,
    planned: Mapping[str, PlannedMonitor],
    telemetry: Telemetry,
    *,
    notes: list[str],
    problems: list[Problem],
) -> dict[str, PlannedMonitor]:
    """The service's monitors that have data; a note for each default one left out, a problem
    for each one the stack file asks for."""
    path = f"{NAMESPACE}:services[{index}].monitors"
    configured = service.monitors.model_fields_set
    kept: dict[str, PlannedMonitor] = {}
    left_out: dict[str, str] = {}
    # Composites last: each needs the monitors it combines, which Datadog must have created.
    for role, monitor in sorted(planned.items(), key=lambda item: bool(item[1].operands)):
        missing = [operand for operand in monitor.operands if operand in left_out]
        if missing:
            problems.append(
                Problem(
                    f"{path}.{monitor_key(role)}.expression",
                    "; ".join(
                        f"{operand!r} is not created in this stack ({left_out[operand]}), so "
                        "there is no monitor to combine"
                        for operand in missing
                    ),
                )
            )
            continue
        gap = telemetry.gap(monitor.reads)
        if gap is None:
            kept[role] = monitor
            continue
        left_out[role] = gap.reason
        if gap.need not in telemetry.signals:
            continue  # a service outside the stack: the config's scope check says so
        field = DEFAULT_MONITOR_FIELDS.get(role)
        if field is not None and field not in configured:
            notes.append(f"{service.name}: no {monitor.title}: {gap.reason}")
            continue
        remedy = (
            "set it to null"
            if field is not None
            else "remove it, or say what sends its data in externalSource"
        )
        problems.append(
            Problem(
                f"{path}.{monitor_key(role)}",
                f"this {monitor.title} would never see data: it reads {gap.need}, and "
                f"{gap.reason}; {remedy}",
            )
        )
    return {role: kept[role] for role in planned if role in kept}


def _fed_slos(
    index: int,
    service: ServiceSettings,
    planned: Mapping[str, PlannedSlo],
    telemetry: Telemetry,
    *,
    notes: list[str],
    problems: list[Problem],
) -> dict[str, PlannedSlo]:
    """The service's SLOs that have data: an SLO on data nobody sends would report 100 % (a
    time slice without data counts as good) or nothing. A default one is left out with a note,
    one the stack file sets is a problem."""
    configured = service.slos.model_fields_set
    kept: dict[str, PlannedSlo] = {}
    for role, slo in planned.items():
        gap = telemetry.gap(slo.reads)
        if gap is None:
            kept[role] = slo
        elif role not in configured:
            notes.append(f"{service.name}: no {slo.title}: {gap.reason}")
        else:
            problems.append(
                Problem(
                    f"{NAMESPACE}:services[{index}].slos.{role}",
                    f"this {slo.title} would have no data: it reads {gap.need}, and "
                    f"{gap.reason}; set it to null",
                )
            )
    return kept


def _kept_dashboard(
    build: DashboardBuild,
    *,
    subject: str,
    explicit: bool,
    key: str,
    notes: list[str],
    problems: list[Problem],
) -> Json | None:
    """The dashboard if it shows anything, with a note per reason a widget was left out; an
    explicitly requested dashboard with nothing to show is a problem at `key`."""
    reasons = _by_reason(build.left_out)
    if build.dashboard is None:
        why = "; ".join(reasons)
        if explicit:
            problems.append(
                Problem(
                    key, f"no widget of this dashboard would have data ({why}); set it to false"
                )
            )
        else:
            notes.append(f"{subject}: no dashboard: no widget would have data ({why})")
        return None
    notes += [
        f"{subject}: dashboard without {', '.join(titles)}: {reason}"
        for reason, titles in reasons.items()
    ]
    return build.dashboard


def _by_reason(left_out: Sequence[LeftOut]) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = {}
    for item in left_out:
        reasons.setdefault(item.gap.reason, []).append(item.what)
    return reasons
