"""The Datadog monitors of one service, one `datadog.Monitor` per validated definition."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from components.monitors.definitions import LogQueryVariable, MonitorDefinition, Thresholds
from components.monitors.query import format_number
from components.monitors.service_monitors import check_role, monitor_resource_name


def monitor_args(definition: MonitorDefinition) -> datadog.MonitorArgs:
    """The provider's arguments for one monitor; unset options stay unset, as in the API form."""
    windows = definition.threshold_windows
    return datadog.MonitorArgs(
        name=definition.name,
        type=definition.type,
        query=definition.query,
        message=definition.message,
        monitor_thresholds=_thresholds(definition.thresholds),
        monitor_threshold_windows=None
        if windows is None
        else datadog.MonitorMonitorThresholdWindowsArgs(
            trigger_window=windows.trigger_window, recovery_window=windows.recovery_window
        ),
        notify_no_data=definition.notify_no_data,
        no_data_timeframe=definition.no_data_timeframe,
        renotify_interval=definition.renotify_interval,
        require_full_window=definition.require_full_window,
        evaluation_delay=definition.evaluation_delay,
        new_group_delay=definition.new_group_delay,
        notify_bies=list(definition.notify_by) or None,
        # The provider takes the priority as a string.
        priority=None if definition.priority is None else str(definition.priority),
        tags=list(definition.tags),
        variables=datadog.MonitorVariablesArgs(
            event_queries=[_event_query(variable) for variable in definition.variables]
        )
        if definition.variables
        else None,
    )


@dataclass(frozen=True)
class ServiceMonitorsArgs:
    monitors: Mapping[str, MonitorDefinition]
    """Monitors by role (`latency`, `error-rate`, a custom role): the role names the resource,
    so retitling a monitor or adding another never replaces it."""
    provider: datadog.Provider | None = None
    """Provider of the stack's Datadog organisation; the default provider when None."""

    def __post_init__(self) -> None:
        # Every definition is valid by construction; the roles name resources.
        for role in self.monitors:
            check_role(role)


class ServiceMonitors(pulumi.ComponentResource):
    """One Datadog monitor per definition, named `<name>-<role>`."""

    monitor_ids: pulumi.Output[dict[str, str]]
    """Datadog monitor ids by role."""

    def __init__(
        self, name: str, args: ServiceMonitorsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:monitors:ServiceMonitors", name, None, opts)
        child_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        monitors = {
            role: datadog.Monitor(
                monitor_resource_name(name, role), monitor_args(definition), opts=child_opts
            )
            for role, definition in args.monitors.items()
        }
        self.monitor_ids = pulumi.Output.all(
            **{role: monitor.id for role, monitor in monitors.items()}
        )
        self.register_outputs({"monitor_ids": self.monitor_ids})


def _thresholds(thresholds: Thresholds) -> datadog.MonitorMonitorThresholdsArgs:
    # Written as in the query (`10`, not `10.0`), which is also how Datadog returns them.
    return datadog.MonitorMonitorThresholdsArgs(
        **{key: format_number(value) for key, value in thresholds.to_json().items()}
    )


def _event_query(variable: LogQueryVariable) -> datadog.MonitorVariablesEventQueryArgs:
    return datadog.MonitorVariablesEventQueryArgs(
        name=variable.name,
        data_source="logs",
        indexes=list(variable.indexes),
        computes=[
            datadog.MonitorVariablesEventQueryComputeArgs(
                aggregation=variable.aggregation, metric=variable.measure
            )
        ],
        search=datadog.MonitorVariablesEventQuerySearchArgs(query=variable.search),
        group_bies=[
            datadog.MonitorVariablesEventQueryGroupByArgs(
                facet=facet,
                limit=variable.group_limit,
                sort=datadog.MonitorVariablesEventQueryGroupBySortArgs(
                    aggregation=variable.aggregation, metric=variable.measure, order="desc"
                ),
            )
            for facet in variable.group_by
        ]
        or None,
    )
