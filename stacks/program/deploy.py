"""The Pulumi program: registers what the compiled stack holds, and nothing else."""

import gc

import pulumi
import pulumi_datadog as datadog

from components.api_key_secret import DatadogApiKeySecret
from components.dashboards.dashboard_resource import DatadogDashboard, DatadogDashboardArgs
from components.datadog_provider import datadog_provider
from components.downtimes import StackDowntimes, StackDowntimesArgs
from components.eks.observability import EksObservability
from components.fargate.service import InstrumentedFargateService
from components.monitors.monitor_resources import ServiceMonitors, ServiceMonitorsArgs
from components.slos.slo_resources import ServiceSlos, ServiceSlosArgs
from stacks.program.compile import CompiledService, CompiledStack, compile_running_stack


def main() -> None:
    """Entry point of `__main__.py`: nothing is registered unless the whole stack compiles.

    It takes the process for itself, as `pulumi up` gives it one: an inline program of the
    Automation API, which shares its host's process, should call
    `deploy(compile_running_stack())`.
    """
    tune_garbage_collector()
    deploy(compile_running_stack())


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


def deploy(stack: CompiledStack) -> None:
    # What the stack leaves out for want of data, in `pulumi preview` as in the offline plan.
    for note in stack.notes:
        pulumi.log.info(note)
    api_key = DatadogApiKeySecret("datadog-api-key", stack.api_key_secret)
    services = {
        service.name: InstrumentedFargateService(
            service.name, service.args(api_key.reference()), renamed_from(service)
        )
        for service in stack.services
    }
    pulumi.export("datadogApiKeySecretArn", api_key.secret_arn)
    pulumi.export("taskDefinitions", {name: s.task_definition_arn for name, s in services.items()})
    if stack.eks is not None:
        eks = EksObservability("eks", stack.eks)
        # What applications on the cluster set as OTEL_EXPORTER_OTLP_ENDPOINT.
        pulumi.export("eksOtlpEndpoint", eks.otlp_endpoint)
    if stack.datadog_provider is not None:
        deploy_monitors_and_dashboards(stack, datadog_provider("datadog", stack.datadog_provider))


def renamed_from(service: CompiledService, suffix: str = "") -> pulumi.ResourceOptions:
    """Aliases to a renamed service's earlier component names; children follow their parent."""
    return pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=f"{old}{suffix}") for old in service.previous_names]
    )


def deploy_monitors_and_dashboards(stack: CompiledStack, provider: datadog.Provider) -> None:
    """Per service `<service>-monitors`, `<service>-slos` and `<service>-apm` (its dashboard),
    `telemetry-pipeline` for EKS and `downtimes` for the scheduled downtimes: names that stay
    put as monitors and titles change."""
    for service in stack.services:
        monitor_ids: dict[str, pulumi.Output[str]] = {}
        if service.monitors:
            monitor_ids = ServiceMonitors(
                service.monitors_name,
                ServiceMonitorsArgs(service.monitors, provider),
                renamed_from(service, "-monitors"),
            ).ids
        slo_ids: dict[str, pulumi.Output[str]] = {}
        if service.slos:
            slo_ids = ServiceSlos(
                service.slos_name,
                ServiceSlosArgs(service.slos, monitor_ids, provider),
                renamed_from(service, "-slos"),
            ).slo_ids
        if service.dashboard is not None:
            DatadogDashboard(
                service.dashboard_name,
                DatadogDashboardArgs(service.dashboard, provider, slo_ids),
                renamed_from(service, "-apm"),
            )
    if stack.platform_dashboard is not None:
        DatadogDashboard(
            "telemetry-pipeline", DatadogDashboardArgs(stack.platform_dashboard, provider)
        )
    if stack.downtimes:
        StackDowntimes("downtimes", StackDowntimesArgs(stack.downtimes, provider))
