"""Scheduled downtimes: one `datadog.DowntimeSchedule` per downtime of the stack."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from components.downtime_schedules import Downtime


def downtime_schedule_args(downtime: Downtime) -> datadog.DowntimeScheduleArgs:
    """The provider's arguments for one recurring downtime."""
    return datadog.DowntimeScheduleArgs(
        scope=downtime.scope,
        monitor_identifier=datadog.DowntimeScheduleMonitorIdentifierArgs(
            monitor_tags=list(downtime.monitor_tags)
        ),
        # Shown in the timezone it is scheduled in, not the viewer's.
        display_timezone=downtime.timezone,
        message=downtime.message,
        recurring_schedule=datadog.DowntimeScheduleRecurringScheduleArgs(
            timezone=downtime.timezone,
            recurrences=[
                datadog.DowntimeScheduleRecurringScheduleRecurrenceArgs(
                    rrule=recurrence.rrule, start=recurrence.start, duration=recurrence.duration
                )
                for recurrence in downtime.recurrences
            ],
        ),
    )


@dataclass(frozen=True)
class StackDowntimesArgs:
    downtimes: Mapping[str, Downtime]
    """Downtimes by name; the name names the resource."""
    provider: datadog.Provider | None = None
    """Provider of the stack's Datadog organisation; the default provider when None."""


class StackDowntimes(pulumi.ComponentResource):
    """One `datadog.DowntimeSchedule` per downtime, named `<name>-<downtime name>`."""

    def __init__(
        self, name: str, args: StackDowntimesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:downtimes:StackDowntimes", name, None, opts)
        child_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        schedules = {
            key: datadog.DowntimeSchedule(
                f"{name}-{key}", downtime_schedule_args(downtime), opts=child_opts
            )
            for key, downtime in args.downtimes.items()
        }
        self.downtime_ids = pulumi.Output.all(
            **{key: schedule.id for key, schedule in schedules.items()}
        )
        self.register_outputs({"downtime_ids": self.downtime_ids})
