"""Typical inputs for component tests, overridden per test with dataclasses.replace."""

from components.dashboards import platform_dashboard, service_dashboard
from components.dashboards.widgets import Json
from components.fargate.args import (
    DEFAULT_AGENT_IMAGE,
    DEFAULT_LOG_ROUTER_IMAGE,
    AgentSidecar,
    CloudWatchLogs,
    DatadogLogs,
    LlmObservability,
    TaskSpec,
)
from components.monitors import Notifications, ServiceMonitorsSpec, SeverityPolicy
from components.monitors.service_monitors import monitor_builders
from components.slos.service_slos import slo_builders
from components.telemetry import Need, Signal, Telemetry
from stacks.program.compile import monitors_spec as compiled_monitors_spec
from stacks.program.compile import slo_settings
from stacks.program.model import StackConfig
from stacks.program.telemetry import TelemetryPlan, telemetry_plan

API_KEY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/dev/api-key-AbCdEf"
DB_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/db-Xy12Ab"
CMK_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-5b6a-4789-8abc-def012345678"

SERVICE_CONFIG: dict[str, object] = {
    "name": "checkout-api",
    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.8.2",
    "version": "1.8.2",
    "command": ["uvicorn", "app.main:app"],
    "cpu": 512,
    "memory": 1024,
}
"""An item of `observability:services` with only the required keys."""

LLM_OBSERVABILITY = LlmObservability(ml_app="support-assistant")
SIDECAR = AgentSidecar(image=DEFAULT_AGENT_IMAGE, cpu=64, memory=256)
FIRELENS = DatadogLogs(router_image=DEFAULT_LOG_ROUTER_IMAGE, router_cpu=32, router_memory=128)
CLOUDWATCH = CloudWatchLogs(retention_days=14)


def task(**overrides: object) -> TaskSpec:
    """A FastAPI service with an agent sidecar and FireLens, on the EU site."""
    values: dict[str, object] = {
        "service": "checkout-api",
        "environment": "dev",
        "version": "1.8.2",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.8.2",
        "command": ("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"),
        "cpu": 512,
        "memory": 1024,
        "datadog_site": "datadoghq.eu",
        "logs": FIRELENS,
        "agent": SIDECAR,
        "port": 8000,
    }
    values.update(overrides)
    return TaskSpec(**values)  # type: ignore[arg-type]


PAGER = "@pagerduty-Checkout"
CHAT = "@slack-checkout-alerts"
RUNBOOK = "https://runbooks.example.com/checkout-api"


def production_notifications() -> Notifications:
    """Production pages on alerts, chats on warnings and missing data, reminds hourly."""
    return Notifications(
        alert=(PAGER,),
        warning=(CHAT,),
        no_data=(CHAT,),
        high=SeverityPolicy(priority=1, renotify_minutes=60),
        low=SeverityPolicy(priority=3),
    )


def monitors_spec(env: str = "production", **overrides: object) -> ServiceMonitorsSpec:
    """checkout-api's monitors: production notifications there, none elsewhere (dev is quiet)."""
    values: dict[str, object] = {
        "service": "checkout-api",
        "env": env,
        "team": "payments",
        "notifications": production_notifications() if env == "production" else Notifications(),
        "runbook_url": RUNBOOK,
    }
    values.update(overrides)
    return ServiceMonitorsSpec(**values)  # type: ignore[arg-type]


def sending_everything(*sources: str) -> Telemetry:
    """Telemetry in which every source sends every signal."""
    return Telemetry({Need(signal, source): None for source in sources for signal in Signal})


def full_service_dashboard(
    service: str = "checkout-api", env: str = "production", operation: str = "fastapi.request"
) -> Json:
    """The service dashboard with every widget (a service that sends everything)."""
    build = service_dashboard(
        service, env, operation=operation, telemetry=sending_everything(service)
    )
    assert build.dashboard is not None
    return build.dashboard


CLUSTER_SOURCE = "cluster prod-eks"


def full_platform_dashboard(cluster: str = "prod-eks") -> Json:
    """The platform dashboard of a cluster running both the collector and the Agent."""
    source = f"cluster {cluster}"
    build = platform_dashboard(cluster, source, telemetry=sending_everything(source))
    assert build.dashboard is not None
    return build.dashboard


def planned_telemetry(config: StackConfig) -> TelemetryPlan:
    """What `compile_stack` keeps of a valid stack's monitors and dashboards, and its notes."""
    specs = {service.name: compiled_monitors_spec(config, service) for service in config.services}
    planned = {name: monitor_builders(spec) for name, spec in specs.items()}
    planned_slos = {
        service.name: slo_builders(specs[service.name], slo_settings(service))
        for service in config.services
    }
    return telemetry_plan(config, planned, planned_slos)
