"""A Datadog dashboard from its JSON, the way Datadog exports it."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_datadog as datadog

from components.dashboards.render import render_dashboard
from components.datadog_ids import fill_ids, id_refs


@dataclass(frozen=True)
class DatadogDashboardArgs:
    dashboard: Mapping[str, Any]
    """The dashboard as built by `service_dashboard` or `platform_dashboard` (or exported)."""
    provider: datadog.Provider | None = None
    """Provider of the stack's Datadog organisation; the default provider when None."""
    slo_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Ids of the SLOs by role that the dashboard's SLO widgets name (`${slo:<role>}`)."""

    def __post_init__(self) -> None:
        missing = [
            str(ref)
            for ref in id_refs(render_dashboard(self.dashboard))
            if ref.kind != "slo" or ref.role not in self.slo_ids
        ]
        if missing:
            raise ValueError(f"the dashboard names {', '.join(missing)}, which has no id")


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
        text = render_dashboard(args.dashboard)
        refs = id_refs(text)
        rendered: pulumi.Input[str] = text
        if refs:
            rendered = pulumi.Output.all(*(args.slo_ids[ref.role] for ref in refs)).apply(
                lambda ids: fill_ids(text, dict(zip(refs, ids, strict=True)))
            )
        dashboard = datadog.DashboardJson(
            f"{name}-dashboard",
            dashboard=rendered,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.dashboard_id = dashboard.id
        self.url = dashboard.url
        self.register_outputs({"dashboard_id": self.dashboard_id, "url": self.url})
