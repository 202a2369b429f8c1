"""Platform and team stacks: what each holds, what the platform exports, and how a team stack's
reference to it is answered offline."""

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from stacks.program.errors import StackConfigError
from stacks.program.load import parse_stack_config, sibling_service_problems
from stacks.tooling.engine import (
    SECRET_MASK,
    StackOutputs,
    UnresolvedStackReferenceError,
    run_program,
)
from stacks.tooling.plan import run_stack
from stacks.tooling.references import OUTPUTS_FILE, file_digest, outputs_document
from stacks.tooling.stack_file import REPO_ROOT

PLATFORM = "acme/observability/platform-production"


@functools.cache
def platform_outputs() -> StackOutputs:
    return run_stack("platform-production").exported()


def referenced() -> dict[str, StackOutputs]:
    return {PLATFORM: platform_outputs()}


def changed_stack_file(
    tmp_path: Path, stack: str, change: Callable[[dict[str, Any]], None]
) -> Path:
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    change(document["config"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def refusal(stack: str, path: Path, **kwargs: Any) -> str:
    with pytest.raises(StackConfigError) as refused:
        run_stack(stack, path, **kwargs)
    return refused.value.render(path.name)


def test_the_platform_exports_what_its_teams_read() -> None:
    outputs = platform_outputs()
    assert set(outputs.outputs) == {
        "datadogApiKeySecretArn",
        "datadogApiKeyKmsKeyArn",
        "datadogSite",
        "eksOtlpEndpoint",
        "environment",
        "notificationHandles",
        "notifications",
    }
    assert outputs.secret_names == frozenset()
    assert outputs.outputs["environment"] == "production"
    assert outputs.outputs["datadogSite"] == "datadoghq.eu"
    assert outputs.outputs["notifications"]["alert"] == ["@pagerduty-Platform"]
    assert outputs.outputs["notifications"]["high"] == {"priority": 1, "renotifyMinutes": 60}
    # The defaults' handles and the others the platform defines.
    assert "@pagerduty-Platform" in outputs.outputs["notificationHandles"]
    assert "@pagerduty-Checkout" in outputs.outputs["notificationHandles"]


def test_a_platform_stack_holds_the_secret_eks_and_its_dashboard_and_no_service() -> None:
    run = run_stack("platform-production")
    types = {r.type for r in run.resources}
    assert "observability:api_key_secret:DatadogApiKeySecret" in types
    assert "observability:eks:EksObservability" in types
    assert run.named("telemetry-pipeline").type == "observability:dashboards:DatadogDashboard"
    assert "observability:fargate:InstrumentedFargateService" not in types
    assert {r.name for r in run.resources if r.protect} == {
        "datadog-api-key-secret",
        "datadog-api-key-key",
    }


def test_single_stacks_export_what_they_always_did() -> None:
    run = run_stack("production")
    assert set(run.stack_outputs) == {
        "datadogApiKeySecretArn",
        "taskDefinitions",
        "eksOtlpEndpoint",
    }
    assert not run.by_type("pulumi:pulumi:StackReference")


def test_team_services_read_the_platform_secret_and_decrypt_with_its_key() -> None:
    run = run_stack("payments-production", stack_outputs=referenced())
    platform = platform_outputs().outputs
    secret_arn, key_arn = platform["datadogApiKeySecretArn"], platform["datadogApiKeyKmsKeyArn"]

    assert not run.by_type("observability:api_key_secret:DatadogApiKeySecret")
    assert not run.by_type("observability:eks:EksObservability")
    [reference] = run.by_type("pulumi:pulumi:StackReference")
    assert reference.name == "platform"
    assert reference.inputs == {"name": PLATFORM}
    containers = json.loads(run.named("checkout-api-task").inputs["containerDefinitions"])
    api_keys = [
        secret["valueFrom"]
        for container in containers
        for secret in container.get("secrets", [])
        if secret["name"] == "DD_API_KEY"
    ]
    assert api_keys
    assert set(api_keys) == {f"{secret_arn}:DD_API_KEY::"}
    policy = json.loads(run.named("checkout-api-execution-secrets").inputs["policy"])
    resources = [r for s in policy["Statement"] for r in _listed(s["Resource"])]
    assert secret_arn in resources
    assert key_arn in resources
    assert set(run.stack_outputs) == {"taskDefinitions"}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_team_monitors_notify_the_platform_defaults_unless_they_name_their_own() -> None:
    assistant = run_stack("assistant-production", stack_outputs=referenced())
    payments = run_stack("payments-production", stack_outputs=referenced())

    latency = assistant.named("support-assistant-monitors-latency").inputs
    assert "@pagerduty-Platform" in latency["message"]
    assert latency["priority"] == "1"  # the platform's high severity
    checkout = payments.named("checkout-api-monitors-latency").inputs["message"]
    assert "@pagerduty-Checkout" in checkout
    assert "@pagerduty-Platform" not in checkout


def test_a_team_stack_plans_from_the_platforms_plan_of_its_current_file(tmp_path: Path) -> None:
    # A plan's outputs are read as they are, when made from the stack file as it is now: here one
    # that no longer defines the checkout handles, which the payments stack then refuses.
    outputs = platform_outputs()
    handles = [h for h in outputs.outputs["notificationHandles"] if "checkout" not in h.lower()]
    edited = StackOutputs({**outputs.outputs, "notificationHandles": handles})
    folder = tmp_path / "platform-production"
    folder.mkdir()
    document = outputs_document(edited, file_digest(REPO_ROOT / "Pulumi.platform-production.yaml"))
    (folder / OUTPUTS_FILE).write_text(json.dumps(document))

    with pytest.raises(StackConfigError) as refused:
        run_stack("payments-production", plans=tmp_path)
    assert "observability:services[0].notifications.alert[0]: @pagerduty-Checkout is not" in (
        refused.value.render("Pulumi.payments-production.yaml")
    )

    # A plan of another version of the file is not: the platform is planned here instead.
    (folder / OUTPUTS_FILE).write_text(json.dumps({**document, "stackFileSha256": "0" * 64}))
    run = run_stack("payments-production", plans=tmp_path)
    assert run.named("checkout-api-monitors-latency")


def test_a_platform_without_an_output_is_refused_naming_it_and_the_platform() -> None:
    outputs = platform_outputs()
    without = {k: v for k, v in outputs.outputs.items() if k != "notificationHandles"}
    with pytest.raises(StackConfigError) as refused:
        run_stack("payments-production", stack_outputs={PLATFORM: StackOutputs(without)})
    assert refused.value.render("Pulumi.payments-production.yaml") == (
        "Pulumi.payments-production.yaml: observability:stack.platform: the platform stack "
        f"{PLATFORM} exports no output 'notificationHandles' (every handle its team stacks may "
        "notify); is it a platform stack (observability:stack.role: platform), deployed (or "
        "planned) since it was made one?"
    )


def test_a_reference_outside_the_repository_needs_recorded_outputs(tmp_path: Path) -> None:
    elsewhere = "acme/shared-platform/production"

    def point_elsewhere(config: dict[str, Any]) -> None:
        config["observability:stack"]["platform"] = elsewhere

    path = changed_stack_file(tmp_path, "payments-production", point_elsewhere)
    assert refusal("payments-production", path) == (
        f"Pulumi.payments-production.yaml: observability:stack.platform: {elsewhere} is not a "
        "stack of this repository (no Pulumi.<stack>.yaml of project observability), and no "
        "file of recorded outputs has it: record its outputs (`pulumi stack output --json "
        "--stack <name>`) in a JSON file under its name and pass it with --stack-outputs"
    )
    run = run_stack("payments-production", path, stack_outputs={elsewhere: platform_outputs()})
    assert run.named("platform").inputs == {"name": elsewhere}


def test_a_team_stack_refuses_a_platform_that_is_not_one(tmp_path: Path) -> None:
    def point_at_production(config: dict[str, Any]) -> None:
        config["observability:stack"]["platform"] = "acme/observability/production"

    path = changed_stack_file(tmp_path, "payments-production", point_at_production)
    assert "is Pulumi.production.yaml, a single stack, not a platform stack" in refusal(
        "payments-production", path
    )


def test_a_team_stack_shares_its_platforms_environment_site_and_handles(tmp_path: Path) -> None:
    def stray(config: dict[str, Any]) -> None:
        config["observability:environment"]["name"] = "staging"
        config["observability:datadog"]["site"] = "datadoghq.com"
        config["observability:datadog"]["notifications"] = {"warning": ["@slack-elsewhere"]}
        config["observability:services"][0]["monitors"]["custom"] = {}
        config["observability:services"][0]["notifications"]["alert"] = [
            "@pagerduty-Checkout",
            "@pagerduty-Nobody",
        ]

    path = changed_stack_file(tmp_path, "payments-production", stray)
    lines = refusal("payments-production", path, stack_outputs=referenced()).splitlines()
    prefix = "Pulumi.payments-production.yaml: observability:"
    assert [line.split(":", 3)[2] for line in lines] == [
        "environment.name",
        "datadog.site",
        "datadog.notifications.warning[0]",
        "services[0].notifications.alert[1]",
    ]
    assert lines[0].startswith(
        f"{prefix}environment.name: staging, but its platform stack {PLATFORM} is production"
    )
    assert lines[3].startswith(
        f"{prefix}services[0].notifications.alert[1]: @pagerduty-Nobody is not a handle its "
        f"platform stack {PLATFORM} defines"
    )


def test_a_team_stack_refuses_a_service_name_of_another_team_stack(tmp_path: Path) -> None:
    payments = yaml.safe_load((REPO_ROOT / "Pulumi.payments-production.yaml").read_text())

    def take_checkout(config: dict[str, Any]) -> None:
        config["observability:services"].append(payments["config"]["observability:services"][0])

    path = changed_stack_file(tmp_path, "assistant-production", take_checkout)
    assert refusal("assistant-production", path, stack_outputs=referenced()) == (
        "Pulumi.assistant-production.yaml: observability:services[1].name: 'checkout-api' is "
        "already a service of Pulumi.payments-production.yaml (observability:services[0]), "
        f"another team stack of {PLATFORM}: Datadog tells the services of an environment "
        "apart by their service tag alone"
    )


def test_a_service_name_of_a_stack_of_another_platform_is_no_clash(tmp_path: Path) -> None:
    # production's checkout-api is a single stack's, and dev's another environment's.
    def other_platform(config: dict[str, Any]) -> None:
        config["observability:stack"]["platform"] = "acme/shared-platform/production"

    path = changed_stack_file(tmp_path, "payments-production", other_platform)
    outputs = {"acme/shared-platform/production": platform_outputs()}
    assert run_stack("payments-production", path, stack_outputs=outputs).named("checkout-api")


ENVIRONMENT = {"environment": {"name": "production", "team": "payments"}}


@pytest.mark.parametrize(
    ("config", "line"),
    [
        (
            {"stack": {"role": "team"}},
            "observability:stack.platform: required key is missing: a team stack reads",
        ),
        (
            {"stack": {"role": "team", "platform": "platform-production"}},
            "observability:stack.platform: 'platform-production' is not a fully qualified stack "
            "name <organization>/<project>/<stack>",
        ),
        (
            {"stack": {"role": "platform", "platform": PLATFORM}},
            "observability:stack.platform: only a team stack has a platform stack; this one is "
            "platform",
        ),
        (
            {"stack": {"role": "team", "platform": PLATFORM}, "eks": {"clusterName": "c"}},
            "observability:eks: a team stack has no EKS collector or Agent",
        ),
        (
            {
                "stack": {"role": "team", "platform": PLATFORM},
                "datadog": {"apiKeySecret": {"recoveryWindowDays": 7}},
            },
            "observability:datadog.apiKeySecret: a team stack has no API key secret of its own",
        ),
        (
            {"datadog": {"notificationHandles": ["@slack-x"]}},
            "observability:datadog.notificationHandles: only a platform stack defines the "
            "handles its team stacks may notify; a single stack's monitors may notify any handle",
        ),
        (
            {
                "stack": {"role": "platform"},
                "services": [
                    {"name": "api", "image": "api:1.0.0", "version": "1.0.0", "cpu": 256}
                    | {"memory": 512, "command": ["python", "-m", "api"]}
                ],
            },
            "observability:services[0]: api: a platform stack has no services; put it in a team "
            "stack",
        ),
    ],
)
def test_what_a_role_cannot_hold_is_refused_at_its_key(config: dict[str, Any], line: str) -> None:
    with pytest.raises(StackConfigError) as refused:
        parse_stack_config({**ENVIRONMENT, **config})
    assert refused.value.render("F").startswith(f"F: {line}")


def test_a_reference_answers_secrets_as_secrets() -> None:
    outputs = StackOutputs({"token": SECRET_MASK, "region": "eu-west-1"}, frozenset({"token"}))
    seen: dict[str, Any] = {}

    async def read(reference: pulumi.StackReference) -> None:
        token = await reference.get_output_details("token")
        region = await reference.get_output_details("region")
        seen.update(token=(token.value, token.secret_value), region=region.value)
        # As Pulumi's engine sends them: the secret inside the outputs, which makes them secret.
        seen["outputs are secret"] = await reference.outputs.is_secret()

    def program() -> None:
        reference = pulumi.StackReference("other", stack_name="acme/elsewhere/prod")
        pulumi.export("token", reference.require_output("token"))
        pulumi.export("region", reference.require_output("region"))
        pulumi.run(lambda: read(reference))

    run = run_program(program, stack="test", stack_outputs={"acme/elsewhere/prod": outputs})

    assert seen == {
        "token": (None, SECRET_MASK),
        "region": "eu-west-1",
        "outputs are secret": True,
    }
    assert run.secret_output_names == {"token"}
    assert run.stack_outputs == {"token": SECRET_MASK, "region": "eu-west-1"}


def test_a_reference_the_engine_cannot_answer_is_an_error() -> None:
    def program() -> None:
        pulumi.StackReference("other", stack_name="acme/elsewhere/prod")

    with pytest.raises(UnresolvedStackReferenceError, match="acme/elsewhere/prod"):
        run_program(program, stack="test")


def test_the_other_team_stacks_are_read_in_any_yaml_style(tmp_path: Path) -> None:
    own = yaml.safe_load((REPO_ROOT / "Pulumi.assistant-production.yaml").read_text())
    config = parse_stack_config(
        {
            key.removeprefix("observability:"): value
            for key, value in own["config"].items()
            if key.startswith("observability:")
        }
    )

    def team(platform: str, *names: str) -> dict[str, Any]:
        services = [{"name": name, "image": "x:1"} for name in names]
        stack = {"role": "team", "platform": platform}
        return {"config": {"observability:stack": stack, "observability:services": services}}

    # Flow style, as JSON is YAML too.
    flow = yaml.safe_dump(team(PLATFORM, "billing", "support-assistant"), default_flow_style=True)
    (tmp_path / "Pulumi.flow.yaml").write_text(flow)
    (tmp_path / "Pulumi.other.yaml").write_text(yaml.safe_dump(team("a/b/c", "support-assistant")))
    (tmp_path / "Pulumi.broken.yaml").write_text(f"config: [{PLATFORM}\n")
    (tmp_path / "Pulumi.assistant-production.yaml").write_text(yaml.safe_dump(own))

    problems = sibling_service_problems(config, "Pulumi.assistant-production.yaml", tmp_path)

    assert [(p.path, p.reason.split(",")[0]) for p in problems] == [
        (
            "observability:services[0].name",
            "'support-assistant' is already a service of Pulumi.flow.yaml "
            "(observability:services[1])",
        )
    ]
