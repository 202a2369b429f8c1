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
from stacks.program.compile import (
    PLATFORM_KMS_KEY_OUTPUT,
    PLATFORM_OUTPUTS,
    CompiledService,
    CompiledStack,
    OutputValue,
    compile_stack,
    platform_outputs,
)
from stacks.program.load import LoadedStack, load_stack

PLATFORM_REFERENCE = "platform"
"""The name of a team stack's `pulumi.StackReference` to its platform stack."""


def main() -> None:
    """Entry point of `__main__.py`: nothing is registered unless the whole stack compiles.

    It takes the process for itself, as `pulumi up` gives it one: an inline program of the
    Automation API, which shares its host's process, should call `deploy(compile_running_stack())`
    (a single or platform stack) or `await deploy_team(load_stack())`.
    """
    tune_garbage_collector()
    stack = load_stack()
    if stack.config.stack.role == "team":
        # A team stack compiles with values its platform exports (the handles its monitors
        # notify are in their messages), so it waits for the stack reference: `pulumi.run`
        # awaits this once the module has run (run_in_stack in pulumi/runtime/stack.py of
        # pulumi 3.272.0), in `pulumi up` as in the offline plan. Reads of a StackReference are
        # done in previews too, so `pulumi preview` sees the platform's outputs.
        pulumi.run(lambda: deploy_team(stack))
    else:
        deploy(compile_stack(stack.config, stack.secrets))


async def deploy_team(stack: LoadedStack) -> None:
    """Read the platform stack's outputs, then compile and register the team stack."""
    platform = stack.config.stack.platform
    assert platform is not None  # the model requires it of a team stack
    reference = pulumi.StackReference(PLATFORM_REFERENCE, stack_name=platform)
    outputs = {}
    for name in (*PLATFORM_OUTPUTS, PLATFORM_KMS_KEY_OUTPUT):
        # A value, a secret value, or neither: an output the platform does not export.
        details = await reference.get_output_details(name)
        if details.secret_value is not None:
            outputs[name] = OutputValue(details.secret_value, secret=True)
        elif details.value is not None:
            outputs[name] = OutputValue(details.value)
    deploy(compile_stack(stack.config, stack.secrets, platform_outputs(stack.config, outputs)))


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
    if stack.api_key_secret is not None:
        api_key = DatadogApiKeySecret("datadog-api-key", stack.api_key_secret)
        reference = api_key.reference()
        pulumi.export("datadogApiKeySecretArn", api_key.secret_arn)
    else:
        assert stack.platform is not None  # a team stack's services use the platform's secret
        reference = stack.platform.api_key()
    services = {
        service.name: InstrumentedFargateService(
            service.name, service.args(reference), renamed_from(service)
        )
        for service in stack.services
    }
    if stack.role != "platform":
        pulumi.export(
            "taskDefinitions", {name: s.task_definition_arn for name, s in services.items()}
        )
    if stack.role == "platform":
        assert stack.api_key_secret is not None
        export_platform(stack, api_key)
    if stack.eks is not None:
        eks = EksObservability("eks", stack.eks)
        # What applications on the cluster set as OTEL_EXPORTER_OTLP_ENDPOINT.
        pulumi.export("eksOtlpEndpoint", eks.otlp_endpoint)
    if stack.datadog_provider is not None:
        deploy_monitors_and_dashboards(stack, datadog_provider("datadog", stack.datadog_provider))


def export_platform(stack: CompiledStack, api_key: DatadogApiKeySecret) -> None:
    """What team stacks read from their platform stack (`PLATFORM_OUTPUTS`): the secret's ARN,
    its key's, the environment and site they must share, and the notification handles."""
    assert stack.api_key_secret is not None
    if stack.api_key_secret.has_own_kms_key:
        pulumi.export(PLATFORM_KMS_KEY_OUTPUT, api_key.kms_key_arn)
    for name, value in stack.platform_exports.items():
        pulumi.export(name, value)


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
