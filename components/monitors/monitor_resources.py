"""The Datadog monitors of one service, one `datadog.Monitor` per validated definition."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from components.datadog_ids import IdRef, fill_ids
from components.monitors.definitions import LogQueryVariable, MonitorDefinition, Thresholds
from components.monitors.query import format_number
from components.monitors.service_monitors import check_role, monitor_resource_name


def monitor_args(
    definition: MonitorDefinition, ids: Mapping[IdRef, pulumi.Input[str]] | None = None
) -> datadog.MonitorArgs:
    """The provider's arguments for one monitor; unset options stay unset, as in the API form.
    `ids` holds the id of each object the query names (`definition.id_refs`)."""
    windows = definition.threshold_windows
    refs = definition.id_refs
    query: pulumi.Input[str] = definition.query
    if refs:
        given = ids or {}
        missing = [str(ref) for ref in refs if ref not in given]
        if missing:
            raise ValueError(f"monitor {definition.name!r}: no id for {', '.join(missing)}")
        query = pulumi.Output.all(*(given[ref] for ref in refs)).apply(
            lambda values: fill_ids(definition.query, dict(zip(refs, values, strict=True)))
        )
    return datadog.MonitorArgs(
        name=definition.name,
        type=definition.type,
        query=query,
        message=definition.message,
        # A composite has no thresholds. Left unset, terraform-provider-datadog sends
        # `"thresholds": {}` and records none, reading them back only when Datadog returns
        # some (buildMonitorStruct and updateMonitorState in datadog/resource_datadog_monitor.go,
        # alike from v4.0.0 to v4.19.0); its TestAccDatadogMonitor_ComposeWithSyntheticsTest
        # cassette shows Datadog returning a composite without thresholds. A block, even an
        # empty one, would then differ from the state on every preview.
        monitor_thresholds=None
        if definition.thresholds is None
        else _thresholds(definition.thresholds),
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
        # A monitor may name the service's other monitors (a composite), which come first.
        for role, definition in self.monitors.items():
            for ref in definition.id_refs:
                if ref.kind != "monitor" or ref.role not in self.monitors or ref.role == role:
                    raise ValueError(f"monitor {role!r} names {ref}, not another of its monitors")
        creation_order(self.monitors)


class ServiceMonitors(pulumi.ComponentResource):
    """One Datadog monitor per definition, named `<name>-<role>`."""

    monitor_ids: pulumi.Output[dict[str, str]]
    """Datadog monitor ids by role."""
    ids: dict[str, pulumi.Output[str]]
    """The same ids, one output each, for what names one monitor (a monitor-based SLO)."""

    def __init__(
        self, name: str, args: ServiceMonitorsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:monitors:ServiceMonitors", name, None, opts)
        child_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        ids: dict[IdRef, pulumi.Input[str]] = {}
        monitors: dict[str, datadog.Monitor] = {}
        for role in creation_order(args.monitors):
            monitors[role] = monitor = datadog.Monitor(
                monitor_resource_name(name, role),
                monitor_args(args.monitors[role], ids),
                opts=child_opts,
            )
            ids[IdRef("monitor", role)] = monitor.id
        # Reported by role in the order the stack file gives them, whatever the creation order.
        self.ids = {role: monitors[role].id for role in args.monitors}
        self.monitor_ids = pulumi.Output.all(**self.ids)
        self.register_outputs({"monitor_ids": self.monitor_ids})


def creation_order(monitors: Mapping[str, MonitorDefinition]) -> list[str]:
    """The roles in their given order, except that a monitor comes after the monitors it names;
    ValueError for monitors that name each other in a cycle."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(role: str) -> None:
        if role in order:
            return
        if role in visiting:
            cycle = " -> ".join([*visiting[visiting.index(role) :], role])
            raise ValueError(f"monitors name each other in a cycle: {cycle}")
        visiting.append(role)
        for ref in monitors[role].id_refs:
            if ref.kind == "monitor" and ref.role in monitors:
                visit(ref.role)
        visiting.pop()
        order.append(role)

    for role in monitors:
        visit(role)
    return order


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
