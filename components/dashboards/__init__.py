"""Datadog dashboards as code: widget builders, the service and platform dashboards, and the
deterministic JSON handed to the `DashboardJson` resource."""

from components.dashboards.platform_dashboard import platform_dashboard
from components.dashboards.render import render_dashboard
from components.dashboards.service_dashboard import service_dashboard

__all__ = ["platform_dashboard", "render_dashboard", "service_dashboard"]
