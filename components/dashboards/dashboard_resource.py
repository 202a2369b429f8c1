"""A Datadog dashboard from its JSON, the way Datadog exports it."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_datadog as datadog

from components.dashboards.render import render_dashboard


@dataclass(frozen=True)
class DatadogDashboardArgs:
    dashboard: Mapping[str, Any]
    """The dashboard as built by `service_dashboard` or `platform_dashboard` (or exported)."""
    provider: datadog.Provider | None = None
    """Provider of the stack's Datadog organisation; the default provider when None."""


class DatadogDashboard(pulumi.ComponentResource):
    """A `DashboardJson` whose JSON is rendered deterministically, so previews show no noise.

    The JSON resource rather than the typed `Dashboard`: it takes exactly what the builders and
    Datadog's export produce, and it avoids the typed resource's permanent diffs.
    """

    dashboard_id: pulumi.Output[str]
    url: pulumi.Output[str]
    """Path of the dashboard in the Datadog app, for runbooks and monitor messages."""

    def __init__(
        self, name: str, args: DatadogDashboardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:dashboards:DatadogDashboard", name, None, opts)
        dashboard = datadog.DashboardJson(
            f"{name}-dashboard",
            dashboard=render_dashboard(args.dashboard),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.dashboard_id = dashboard.id
        self.url = dashboard.url
        self.register_outputs({"dashboard_id": self.dashboard_id, "url": self.url})
