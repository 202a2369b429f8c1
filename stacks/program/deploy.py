"""The Pulumi program: validated stack configuration in, components out."""

import gc

import pulumi
import pulumi_datadog as datadog

from components.api_key_secret import DatadogApiKeySecret
from components.dashboards.dashboard_resource import DatadogDashboard, DatadogDashboardArgs
from components.datadog_provider import datadog_provider
from components.eks.observability import EksObservability
from components.fargate.service import InstrumentedFargateService
from components.monitors.monitor_resources import ServiceMonitors, ServiceMonitorsArgs
from stacks.program.compile import (
    api_key_secret_args,
    datadog_provider_args,
    eks_args,
    service_args,
)
from stacks.program.load import LoadedStack, load_stack
from stacks.program.model.services import ServiceSettings
from stacks.program.telemetry import TelemetryPlan


def main() -> None:
    """Entry point of `__main__.py`: nothing is registered unless the whole config is valid.

    It takes the process for itself, as `pulumi up` gives it one: an inline program of the
    Automation API, which shares its host's process, should call `deploy(load_stack())`.
    """
    tune_garbage_collector()
    deploy(load_stack())


def tune_garbage_collector() -> None:
    """Turn off the cyclic garbage collector for a program that registers thousands of resources.

    Registering a resource allocates thousands of short-lived objects (futures, tasks, outputs)
    that reference counting frees; the collector found next to nothing among them but cost more
    per resource the bigger the stack. Measured on the offline plan, with young collections
    already rare (every 100,000 allocations): collections took a twentieth of a 100-service plan
    and a quarter of a 500-service one. Off, the cost per resource is the same at both sizes, for
    18 MiB more peak memory at 500 services: all the cyclic garbage such a run leaves. The
    provider SDKs' imports are frozen first, so that a collection asked for by name skips them.
    """
    gc.collect()
    gc.freeze()
    gc.disable()


def deploy(stack: LoadedStack) -> None:
    config = stack.config
    # What the stack leaves out for want of data, in `pulumi preview` as in the offline plan.
    for note in stack.plan.notes:
        pulumi.log.info(note)
    api_key = DatadogApiKeySecret("datadog-api-key", api_key_secret_args(config, stack.api_key))
    services = {
        service.name: InstrumentedFargateService(
            service.name,
            service_args(config, service, api_key.reference()),
            renamed_from(service),
        )
        for service in config.services
    }
    pulumi.export("datadogApiKeySecretArn", api_key.secret_arn)
    pulumi.export("taskDefinitions", {name: s.task_definition_arn for name, s in services.items()})
    if config.eks is not None:
        eks = EksObservability("eks", eks_args(config, config.eks, stack.api_key))
        # What applications on the cluster set as OTEL_EXPORTER_OTLP_ENDPOINT.
        pulumi.export("eksOtlpEndpoint", eks.otlp_endpoint)
    if stack.datadog is not None:
        provider = datadog_provider(
            "datadog",
            datadog_provider_args(config, stack.datadog.api_key, stack.datadog.app_key),
        )
        deploy_monitors_and_dashboards(config.services, stack.plan, provider)


def renamed_from(service: ServiceSettings, suffix: str = "") -> pulumi.ResourceOptions:
    """Aliases to a renamed service's earlier component names; children follow their parent."""
    return pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=f"{old}{suffix}") for old in service.previous_names]
    )


def deploy_monitors_and_dashboards(
    services: list[ServiceSettings], plan: TelemetryPlan, provider: datadog.Provider
) -> None:
    """Per service `<service>-monitors` and `<service>-apm` (its dashboard), and
    `telemetry-pipeline` for EKS: names that stay put as monitors and titles change."""
    for service in services:
        planned = plan.services[service.name]
        if planned.monitors:
            monitors = {role: monitor.build() for role, monitor in planned.monitors.items()}
            ServiceMonitors(
                f"{service.name}-monitors",
                ServiceMonitorsArgs(monitors, provider),
                renamed_from(service, "-monitors"),
            )
        if planned.dashboard is not None:
            DatadogDashboard(
                f"{service.name}-apm",
                DatadogDashboardArgs(planned.dashboard, provider),
                renamed_from(service, "-apm"),
            )
    if plan.platform_dashboard is not None:
        DatadogDashboard(
            "telemetry-pipeline", DatadogDashboardArgs(plan.platform_dashboard, provider)
        )
