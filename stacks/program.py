"""The Pulumi program: validated stack configuration in, components out."""

import gc

import pulumi
import pulumi_datadog as datadog

from components.api_key_secret import DatadogApiKeySecret
from components.dashboards.dashboard_resource import DatadogDashboard, DatadogDashboardArgs
from components.datadog_provider import datadog_provider
from components.eks.observability import EksObservability
from components.fargate.service import InstrumentedFargateService
from components.monitors import service_monitors
from components.monitors.monitor_resources import ServiceMonitors, ServiceMonitorsArgs
from stacks.config import LoadedStack, load_stack
from stacks.model import StackConfig
from stacks.model.services import ServiceSettings
from stacks.translate import (
    api_key_secret_args,
    datadog_provider_args,
    eks_args,
    monitors_spec,
    platform_dashboard_json,
    service_args,
    service_dashboard_json,
)


def main() -> None:
    """Entry point of `__main__.py`: nothing is registered unless the whole config is valid."""
    tune_garbage_collector()
    deploy(load_stack())


def tune_garbage_collector() -> None:
    """Set the collector up for a program that registers thousands of resources.

    With Python's defaults, garbage collection took a quarter of a 300-service plan: the provider
    SDKs' imports leave about a million long-lived objects that every full collection walked
    again, and registering a resource allocates thousands of short-lived ones (futures, tasks)
    that set off a young collection every 700 allocations. Frozen and with rarer collections,
    the same plan is a fifth faster at the same peak memory: little of it is cyclic garbage.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 10)


def deploy(stack: LoadedStack) -> None:
    config = stack.config
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
        deploy_monitors_and_dashboards(config, provider)


def renamed_from(service: ServiceSettings, suffix: str = "") -> pulumi.ResourceOptions:
    """Aliases to a renamed service's earlier component names; children follow their parent."""
    return pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=f"{old}{suffix}") for old in service.previous_names]
    )


def deploy_monitors_and_dashboards(config: StackConfig, provider: datadog.Provider) -> None:
    """Per service `<service>-monitors` and `<service>-apm` (its dashboard), and
    `telemetry-pipeline` for EKS: names that stay put as monitors and titles change."""
    for service in config.services:
        monitors = service_monitors(monitors_spec(config, service))
        if monitors:
            ServiceMonitors(
                f"{service.name}-monitors",
                ServiceMonitorsArgs(monitors, provider),
                renamed_from(service, "-monitors"),
            )
        dashboard = service_dashboard_json(config, service)
        if dashboard is not None:
            DatadogDashboard(
                f"{service.name}-apm",
                DatadogDashboardArgs(dashboard, provider),
                renamed_from(service, "-apm"),
            )
    platform = platform_dashboard_json(config)
    if platform is not None:
        DatadogDashboard("telemetry-pipeline", DatadogDashboardArgs(platform, provider))
