"""The Datadog API key secret component."""

import json

import pytest

from components.api_key_secret import (
    KEY_ADMINISTRATION_ACTIONS,
    DatadogApiKeySecret,
    DatadogApiKeySecretArgs,
    api_key_secret_string,
)
from stacks.tooling.engine import ProgramRun, run_program
from tests.factories import API_KEY_ARN, CMK_ARN


def deploy(args: DatadogApiKeySecretArgs) -> ProgramRun:
    return run_program(
        lambda: DatadogApiKeySecret("dd", args),
        stack="production",
        config={"aws:region": "eu-west-1"},
    )


def test_secret_value_is_json_with_the_key_ecs_injects() -> None:
    assert json.loads(api_key_secret_string("abc123")) == {"DD_API_KEY": "abc123"}


def test_created_secret_is_masked_and_protected_when_asked() -> None:
    run = deploy(
        DatadogApiKeySecretArgs(
            secret_name="datadog/production/api-key",
            api_key="super-secret-key",
            customer_managed_key=True,
            protect=True,
            tags={"env": "production"},
        )
    )
    # The secret waits for its key, the value for its secret.
    assert [r.name for r in run.resources] == [
        "dd", "dd-key", "dd-key-alias", "dd-secret", "dd-value",
    ]  # fmt: skip
    assert "super-secret-key" not in json.dumps([r.to_json() for r in run.resources])
    assert run.named("dd-value").inputs["secretString"] == "[secret]"
    secret = run.named("dd-secret")
    assert secret.protect
    assert run.named("dd-key").protect
    assert not run.named("dd-value").protect
    assert secret.inputs["name"] == "datadog/production/api-key"
    assert secret.inputs["recoveryWindowInDays"] == 30
    assert secret.inputs["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    key = run.named("dd-key").inputs
    assert key["enableKeyRotation"] is True
    assert run.named("dd-key-alias").inputs["name"] == "alias/datadog-production-api-key"


def test_the_key_is_administered_by_the_account_and_used_only_through_secrets_manager() -> None:
    run = deploy(
        DatadogApiKeySecretArgs(
            secret_name="datadog/production/api-key", api_key="k", customer_managed_key=True
        )
    )
    administer, use = json.loads(run.named("dd-key").inputs["policy"])["Statement"]
    account = {"AWS": "arn:aws:iam::123456789012:root"}
    assert administer == {
        "Sid": "AccountAdministersTheKey",
        "Effect": "Allow",
        "Principal": account,
        "Action": list(KEY_ADMINISTRATION_ACTIONS),
        "Resource": "*",
    }
    # The account's administrators can always repair the policy: the key cannot be locked out.
    assert "kms:PutKeyPolicy" in administer["Action"]
    # No cryptographic use, and no grant that could hand one out, outside Secrets Manager.
    using = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey", "kms:Sign")
    granting = ("kms:CreateGrant",)
    assert [a for a in administer["Action"] if a.startswith(using + granting) or "*" in a] == []
    assert use == {
        "Sid": "UseOnlyThroughSecretsManager",
        "Effect": "Allow",
        "Principal": account,
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
                "kms:CallerAccount": "123456789012",
            }
        },
    }


def test_aws_managed_key_by_default() -> None:
    run = deploy(DatadogApiKeySecretArgs(secret_name="datadog/dev/api-key", api_key="k"))
    assert [r.type for r in run.resources if r.custom] == [
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretVersion:SecretVersion",
    ]
    assert "kmsKeyId" not in run.named("dd-secret").inputs
    assert not run.named("dd-secret").protect


def test_existing_secret_registers_nothing_but_the_component() -> None:
    run = deploy(
        DatadogApiKeySecretArgs(
            secret_name="unused", existing_secret_arn=API_KEY_ARN, existing_kms_key_arn=CMK_ARN
        )
    )
    assert [r.type for r in run.resources] == ["observability:api_key_secret:DatadogApiKeySecret"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "give exactly one of api_key and existing_secret_arn"),
        ({"api_key": "k", "existing_secret_arn": API_KEY_ARN}, "give exactly one"),
        (
            {"existing_secret_arn": API_KEY_ARN, "customer_managed_key": True},
            "customer_managed_key applies to a new secret only",
        ),
        ({"api_key": "k", "existing_kms_key_arn": CMK_ARN}, "goes with existing_secret_arn"),
    ],
)
def test_contradictory_args_are_refused(args: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatadogApiKeySecretArgs(secret_name="s", **args)  # type: ignore[arg-type]
