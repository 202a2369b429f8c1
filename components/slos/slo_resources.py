"""The SLOs of one service and the alerts on them, as `datadog.ServiceLevelObjective` and
`datadog.Monitor` resources."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_datadog as datadog

from components.datadog_ids import IdRef
from components.monitors.monitor_resources import monitor_args
from components.monitors.service_monitors import check_role
from components.slos.definitions import MetricSli, MonitorSli, SloDefinition, TimeSliceSli
from components.slos.service_slos import BuiltSlo, slo_resource_name


def slo_args(
    definition: SloDefinition, monitor_ids: Mapping[str, pulumi.Input[str]]
) -> datadog.ServiceLevelObjectiveArgs:
    """The provider's arguments for one SLO; `monitor_ids` holds the service's monitor ids by
    role, for a monitor-based SLO."""
    primary = definition.primary
    sli = definition.sli
    return datadog.ServiceLevelObjectiveArgs(
        name=definition.name,
        type=definition.type,
        description=definition.description,
        thresholds=[
            datadog.ServiceLevelObjectiveThresholdArgs(
                timeframe=t.timeframe, target=t.target, warning=t.warning
            )
            for t in definition.thresholds
        ],
        timeframe=definition.timeframe,
        target_threshold=primary.target,
        warning_threshold=primary.warning,
        tags=list(definition.tags),
        query=datadog.ServiceLevelObjectiveQueryArgs(
            numerator=sli.numerator, denominator=sli.denominator
        )
        if isinstance(sli, MetricSli)
        else None,
        sli_specification=datadog.ServiceLevelObjectiveSliSpecificationArgs(
            time_slice=datadog.ServiceLevelObjectiveSliSpecificationTimeSliceArgs(
                comparator=sli.comparator,
                threshold=sli.threshold,
                query_interval_seconds=sli.interval_seconds,
                query=datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryArgs(
                    formula=datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryFormulaArgs(
                        formula_expression="query1"
                    ),
                    queries=[
                        datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryQueryArgs(
                            metric_query=datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryQueryMetricQueryArgs(
                                name="query1", query=sli.query, data_source="metrics"
                            )
                        )
                    ],
                ),
            )
        )
        if isinstance(sli, TimeSliceSli)
        else None,
        # The provider takes monitor ids as numbers; Datadog's are integers.
        monitor_ids=[
            pulumi.Output.from_input(monitor_ids[ref.role]).apply(int) for ref in sli.monitors
        ]
        if isinstance(sli, MonitorSli)
        else None,
    )


@dataclass(frozen=True)
class ServiceSlosArgs:
    slos: Mapping[str, BuiltSlo]
    """SLOs by role (`availability`, `latency`), each with its alerts by role."""
    monitor_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """The service's monitor ids by role, which monitor-based SLOs name."""
    provider: datadog.Provider | None = None
    """Provider of the stack's Datadog organisation; the default provider when None."""

    def __post_init__(self) -> None:
        for role, slo in self.slos.items():
            check_role(role)
            for alert_role in slo.alerts:
                check_role(alert_role)
            missing = [
                str(ref) for ref in slo.definition.id_refs if ref.role not in self.monitor_ids
            ]
            if missing:
                raise ValueError(f"SLO {role!r} names {', '.join(missing)}, which has no id")


class ServiceSlos(pulumi.ComponentResource):
    """One `ServiceLevelObjective` per SLO, named `<name>-<role>`, and its alerts, named
    `<name>-<role>-<alert>`."""

    slo_ids: dict[str, pulumi.Output[str]]
    """Datadog SLO ids by role, for the service's dashboard."""

    def __init__(
        self, name: str, args: ServiceSlosArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:slos:ServiceSlos", name, None, opts)
        child_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.slo_ids = {}
        for role, slo in args.slos.items():
            resource_name = slo_resource_name(name, role)
            objective = datadog.ServiceLevelObjective(
                resource_name, slo_args(slo.definition, args.monitor_ids), opts=child_opts
            )
            self.slo_ids[role] = objective.id
            ids: dict[IdRef, pulumi.Input[str]] = {IdRef("slo", role): objective.id}
            for alert_role, alert in slo.alerts.items():
                datadog.Monitor(
                    slo_resource_name(resource_name, alert_role),
                    monitor_args(alert, ids),
                    opts=child_opts,
                )
        self.register_outputs({"slo_ids": self.slo_ids})
