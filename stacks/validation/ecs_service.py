"""ECS services checked against botocore's CreateService model and the rules ECS adds to it.

Pulumi's inputs (the Terraform provider's schema) are translated into the request the provider
sends; an input without a translation is reported rather than skipped, so that nothing reaches ECS
unchecked.
"""

from typing import Any, Final

from components.fargate.args import MAX_HEALTH_CHECK_GRACE_PERIOD
from components.problems import Problem
from stacks.validation.botocore_requests import input_shape, range_problems, request_problems

# Inputs that steer the provider and never reach the ECS API.
_PULUMI_ONLY: Final = frozenset(
    {"region", "forceDelete", "forceNewDeployment", "triggers", "waitForSteadyState"}
)
# Inputs whose name and shape are the API's.
_AS_IS: Final = frozenset(
    {
        "cluster",
        "taskDefinition",
        "desiredCount",
        "launchType",
        "platformVersion",
        "enableExecuteCommand",
        "propagateTags",
        "healthCheckGracePeriodSeconds",
        "schedulingStrategy",
        "availabilityZoneRebalancing",
    }
)
_DEPLOYMENT_CONFIGURATION: Final = {
    "deploymentCircuitBreaker": "deploymentCircuitBreaker",
    "deploymentMaximumPercent": "maximumPercent",
    "deploymentMinimumHealthyPercent": "minimumHealthyPercent",
}


def create_service_request(inputs: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The CreateService request the provider sends for these inputs, and the inputs that have
    no translation."""
    request: dict[str, Any] = {}
    untranslated = []
    for name, value in inputs.items():
        if name in _PULUMI_ONLY:
            continue
        if name in _AS_IS:
            request[name] = value
        elif name == "name":
            request["serviceName"] = value
        elif name == "enableEcsManagedTags":
            request["enableECSManagedTags"] = value
        elif name in _DEPLOYMENT_CONFIGURATION:
            request.setdefault("deploymentConfiguration", {})[_DEPLOYMENT_CONFIGURATION[name]] = (
                value
            )
        elif name == "networkConfiguration":
            request[name] = {"awsvpcConfiguration": _awsvpc_configuration(value)}
        elif name == "loadBalancers":
            request[name] = [_load_balancer(entry) for entry in value]
        elif name == "tags":
            request[name] = [{"key": k, "value": v} for k, v in value.items()]
        else:
            untranslated.append(
                Problem(
                    name,
                    "no translation into CreateService here, so it cannot be checked; add one "
                    "to stacks/validation/ecs_service.py",
                )
            )
    return request, untranslated


def _awsvpc_configuration(value: dict[str, Any]) -> dict[str, Any]:
    configuration = dict(value)
    if isinstance(configuration.get("assignPublicIp"), bool):
        configuration["assignPublicIp"] = (
            "ENABLED" if configuration["assignPublicIp"] else "DISABLED"
        )
    return configuration


def _load_balancer(entry: dict[str, Any]) -> dict[str, Any]:
    balancer = dict(entry)
    if "elbName" in balancer:
        balancer["loadBalancerName"] = balancer.pop("elbName")
    return balancer


def service_problems(inputs: dict[str, Any]) -> list[Problem]:
    """Everything ECS would reject about this service, at the request's paths."""
    request, problems = create_service_request(inputs)
    problems += request_problems(request, input_shape("ecs", "CreateService"))
    if problems:
        return problems
    return _load_balancer_problems(request)


def _load_balancer_problems(request: dict[str, Any]) -> list[Problem]:
    balancers = request.get("loadBalancers", [])
    problems = range_problems(
        request, {"healthCheckGracePeriodSeconds": (0, MAX_HEALTH_CHECK_GRACE_PERIOD)}, ""
    )
    # ECS answered "Health check grace period is only valid for services configured to use load
    # balancers" (terraform-provider-aws#31104, 2023), and the provider's documentation of the
    # input still says so; its API reference now also names container health checks.
    if "healthCheckGracePeriodSeconds" in request and not balancers:
        problems.append(
            Problem(
                "healthCheckGracePeriodSeconds",
                "only with loadBalancers; without one, the container health check's startPeriod "
                "gives the app time to start",
            )
        )
    for index, balancer in enumerate(balancers):
        if "targetGroupArn" in balancer:
            # A target group forwards to a container's port; the model leaves both optional,
            # ECS does not for Application and Network Load Balancers.
            problems += [
                Problem(f"loadBalancers[{index}]", f"a target group needs {member}")
                for member in ("containerName", "containerPort")
                if member not in balancer
            ]
    return problems
