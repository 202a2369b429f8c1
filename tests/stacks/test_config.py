"""Bad stack configuration: each mistake gets the file, the key path and what is allowed."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.__main__ import main
from stacks.config import StackConfigError, load_stack, parse_stack_config
from stacks.offline import run_program

SERVICE: dict[str, Any] = {
    "name": "checkout-api",
    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.8.2",
    "version": "1.8.2",
    "command": ["uvicorn", "app.main:app"],
    "port": 8000,
    "cpu": 512,
    "memory": 1024,
}
VALID: dict[str, Any] = {
    "config": {
        "aws:region": "eu-west-1",
        "observability:environment": {"name": "dev", "team": "platform"},
        "observability:ecs": {
            "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/dev",
            "subnetIds": ["subnet-0a1b2c3d4e5f60718"],
        },
        "observability:services": [SERVICE, {**SERVICE, "name": "orders-api"}],
    }
}


def stack_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    change(document["config"])
    return document


def plan_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any) -> list[str]:
    """Plan a stack file; assert it is refused with status 2 and no output; return the errors."""
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    out = tmp_path / "out"
    status = main(["plan", "--stack", "dev", "--config-file", str(stack_file), "--out", str(out)])
    assert status == 2
    assert not (out / "resources.json").exists()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines
    assert all(line.startswith(f"{stack_file}: ") for line in lines)
    return [line.removeprefix(f"{stack_file}: ") for line in lines]


def service_change(index: int, **changes: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        service = config["observability:services"][index]
        for key, value in changes.items():
            if value is None:
                del service[key]
            else:
                service[key] = value

    return change


CASES = [
    pytest.param(
        service_change(1, memory=3000),
        "observability:services[1].memory: 3000 is not a valid Fargate memory for cpu 512 "
        "(allowed: 1024, 2048, 3072, 4096)",
        id="fargate-memory",
    ),
    pytest.param(
        service_change(0, cpu=384),
        "observability:services[0].cpu: 384 is not a Fargate cpu value "
        "(allowed: 256, 512, 1024, 2048, 4096, 8192, 16384)",
        id="fargate-cpu",
    ),
    pytest.param(
        service_change(0, colour="blue"),
        "observability:services[0].colour: unknown key (allowed: name, image, version, "
        "wrapWithDdtrace, command, port, cpu, memory, cpuArchitecture, env, secrets, agent, "
        "agentTransport, logs, traceEnabled, traceSampleRate, profiling, llmObservability, "
        "desiredCount, enableExecuteCommand, team, executionRoleArn, taskRoleArn)",
        id="unknown-service-key",
    ),
    pytest.param(
        lambda c: c.update({"observability:servics": []}),
        "observability:servics: unknown key (allowed: observability:environment, "
        "observability:datadog, observability:ecs, observability:services)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        service_change(0, image=None),
        "observability:services[0].image: required key is missing",
        id="missing-image",
    ),
    pytest.param(
        lambda c: c.pop("observability:environment"),
        "observability:environment: required key is missing",
        id="missing-section",
    ),
    pytest.param(
        service_change(0, port="http"),
        "observability:services[0].port: Input should be a valid integer, unable to parse "
        "string as an integer (got 'http')",
        id="wrong-type",
    ),
    pytest.param(
        service_change(0, image="ghcr.io/acme/checkout-api:latest"),
        "observability:services[0].image: 'ghcr.io/acme/checkout-api:latest' uses the tag "
        "'latest'; pin a version (e.g. repo/app:1.4.2)",
        id="image-latest",
    ),
    pytest.param(
        service_change(0, image="registry.local:5000/checkout-api"),
        "observability:services[0].image: 'registry.local:5000/checkout-api' has no tag; pin a "
        "version (e.g. repo/app:1.4.2)",
        id="image-untagged",
    ),
    pytest.param(
        service_change(0, traceSampleRate=1.5),
        "observability:services[0].traceSampleRate: Input should be less than or equal to 1 "
        "(got 1.5)",
        id="sample-rate-high",
    ),
    pytest.param(
        service_change(0, traceSampleRate=-0.1),
        "observability:services[0].traceSampleRate: Input should be greater than or equal to 0 "
        "(got -0.1)",
        id="sample-rate-negative",
    ),
    pytest.param(
        service_change(1, name="checkout-api"),
        "observability:services[1].name: duplicate service name 'checkout-api' (also "
        "services[0]); names must be unique",
        id="duplicate-names",
    ),
    pytest.param(
        service_change(0, command=["ddtrace-run", "uvicorn", "app.main:app"]),
        "observability:services[0].command: starts with ddtrace-run while wrapWithDdtrace is "
        "true; drop it from the command or set wrapWithDdtrace: false (wrapping twice patches "
        "every library twice)",
        id="double-ddtrace-run",
    ),
    pytest.param(
        service_change(0, llmObservability={"agentless": True}),
        "observability:services[0].llmObservability: agentless LLM Observability cannot run with "
        "an agent sidecar: set agent: agentless or drop agentless: true (the sidecar then "
        "forwards LLM data)",
        id="agentless-llmobs-with-sidecar",
    ),
    pytest.param(
        service_change(0, agent="agentless"),
        "observability:services[0].llmObservability: required with agent: agentless (without an "
        "agent only LLM Observability data has somewhere to go); enable it or use agent: sidecar",
        id="agentless-without-llmobs",
    ),
    pytest.param(
        service_change(0, agent="daemon"),
        "observability:services[0].agent: Input should be 'sidecar' or 'agentless' (got 'daemon')",
        id="agent-mode",
    ),
    pytest.param(
        service_change(0, env={"DD_API_KEY": "abc"}),
        "observability:services[0].env: DD_API_KEY set by the project; remove from env",
        id="env-api-key",
    ),
    pytest.param(
        service_change(0, env={"STRIPE_TOKEN": "abc"}),
        "observability:services[0].env: STRIPE_TOKEN look like credentials; put them under "
        "secrets (plain env values are readable in the task definition)",
        id="env-credential",
    ),
    pytest.param(
        service_change(
            0, secrets={"DB": {"arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"}}
        ),
        "observability:services[0].secrets.DB.arn: 'arn:aws:secretsmanager:eu-west-1:"
        "123456789012:secret:db' is not a full Secrets Manager secret ARN (with its "
        "six-character suffix)",
        id="partial-secret-arn",
    ),
    pytest.param(
        lambda c: c["observability:ecs"].update(subnetIds=[]),
        "observability:ecs.subnetIds: required when clusterArn is set (the tasks' network "
        "interfaces)",
        id="cluster-without-subnets",
    ),
    pytest.param(
        service_change(0, cpu=256, memory=512),
        "observability:services[0].memory: 512 MiB leaves 128 MiB for the app after the "
        "sidecars' 384 MiB (the app needs at least 256)",
        id="task-too-small-for-sidecars",
    ),
    pytest.param(
        lambda c: c.update({"observability:datadog": {"site": "datadoghq.co.uk"}}),
        "observability:datadog.site: Input should be 'datadoghq.com', 'us3.datadoghq.com', "
        "'us5.datadoghq.com', 'datadoghq.eu', 'ap1.datadoghq.com', 'ap2.datadoghq.com' or "
        "'ddog-gov.com' (got 'datadoghq.co.uk')",
        id="unknown-site",
    ),
]


@pytest.mark.parametrize(("change", "expected"), CASES)
def test_bad_config_is_refused_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str
) -> None:
    assert plan_errors(tmp_path, capsys, stack_with(change)) == [expected]


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def two_mistakes(config: dict[str, Any]) -> None:
        service_change(0, memory=3000)(config)
        service_change(1, traceSampleRate=2)(config)

    errors = plan_errors(tmp_path, capsys, stack_with(two_mistakes))
    assert [e.split(":", 2)[1] for e in errors] == [
        "services[0].memory",
        "services[1].traceSampleRate",
    ]


def test_the_message_names_pulumis_stack_file_by_default() -> None:
    with pytest.raises(StackConfigError) as error:
        run_program(
            lambda: parse_stack_config(
                {
                    "environment": {"name": "dev", "team": "platform"},
                    "services": [SERVICE, {**SERVICE, "name": "orders", "memory": 3000}],
                }
            ),
            stack="dev",
        )
    assert str(error.value) == (
        "Pulumi.dev.yaml: observability:services[1].memory: 3000 is not a valid Fargate memory "
        "for cpu 512 (allowed: 1024, 2048, 3072, 4096)"
    )


def test_a_missing_api_key_is_explained_where_pulumi_would_need_it() -> None:
    config = {
        "observability:environment": '{"name": "dev", "team": "platform"}',
        "observability:services": "[]",
    }
    with pytest.raises(StackConfigError) as error:
        run_program(load_stack, stack="dev", config=config)
    assert error.value.render("Pulumi.dev.yaml") == (
        "Pulumi.dev.yaml: datadog:apiKey: missing; run `pulumi config set --secret "
        "datadog:apiKey <key>` or name an existing secret in "
        "observability:datadog.apiKeySecret.existingArn"
    )


def test_valid_config_passes_unchanged() -> None:
    loaded = parse_stack_config(
        {
            key.split(":", 1)[1]: value
            for key, value in VALID["config"].items()
            if key != "aws:region"
        }
    )
    assert [s.name for s in loaded.services] == ["checkout-api", "orders-api"]
    assert loaded.datadog.site == "datadoghq.com"


def test_malformed_yaml_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    errors = plan_errors(tmp_path, capsys, "config:\n  observability:services: [unclosed\n")
    assert len(errors) == 1
    assert errors[0].startswith("line 3, column 1: not valid YAML: ")


def test_unknown_stack_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["plan", "--stack", "staging", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "Pulumi.staging.yaml: (file): no such stack file "
        "(stack files here: Pulumi.dev.yaml, Pulumi.production.yaml)"
    )
