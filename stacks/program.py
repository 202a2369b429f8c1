"""The Pulumi program: validated stack configuration in, components out."""

import pulumi

from components.api_key_secret import DatadogApiKeySecret
from components.eks.observability import EksObservability
from components.fargate.service import InstrumentedFargateService
from stacks.config import LoadedStack, load_stack
from stacks.translate import api_key_secret_args, eks_args, service_args


def main() -> None:
    """Entry point of `__main__.py`: nothing is registered unless the whole config is valid."""
    deploy(load_stack())


def deploy(stack: LoadedStack) -> None:
    config = stack.config
    api_key = DatadogApiKeySecret("datadog-api-key", api_key_secret_args(config, stack.api_key))
    services = {
        service.name: InstrumentedFargateService(
            service.name, service_args(config, service, api_key.reference())
        )
        for service in config.services
    }
    pulumi.export("datadogApiKeySecretArn", api_key.secret_arn)
    pulumi.export("taskDefinitions", {name: s.task_definition_arn for name, s in services.items()})
    if config.eks is not None:
        eks = EksObservability("eks", eks_args(config, config.eks, stack.api_key))
        # What applications on the cluster set as OTEL_EXPORTER_OTLP_ENDPOINT.
        pulumi.export("eksOtlpEndpoint", eks.otlp_endpoint)
