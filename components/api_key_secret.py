"""The Datadog API key in AWS Secrets Manager, shared by every service of an environment."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components.fargate.args import ApiKeySecretRef
from components.fargate.container_definitions import API_KEY_JSON_KEY


def api_key_secret_string(api_key: str) -> str:
    """The secret's value: JSON, so that ECS can inject the one key with `:DD_API_KEY::`."""
    return json.dumps({API_KEY_JSON_KEY: api_key})


# Every action that manages a symmetric AWS_KMS key and none that uses it, so that the account's
# administrators can always repair the key (PutKeyPolicy among them: the reason AWS gives for its
# default key policy statement, "Allows access to the AWS account and enables IAM policies") and
# no one can encrypt or decrypt with it outside Secrets Manager. CreateGrant is left out too: a
# grant would hand out cryptographic use, and Secrets Manager uses none (Secrets Manager user
# guide, "Secret encryption and decryption", at awsdocs/aws-secrets-manager-docs c3b51cc).
KEY_ADMINISTRATION_ACTIONS: Final = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# What Secrets Manager calls for the caller: GenerateDataKey and Decrypt to write a secret value,
# Decrypt to read one (the same guide, "Permissions for the KMS key").
SECRETS_MANAGER_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")


def key_policy(*, partition: str, region: str, account_id: str) -> dict[str, Any]:
    """The policy of the key that encrypts the secret.

    Both statements name the account, which lets its IAM policies decide who may act: the
    execution roles read the secret (their policy allows `kms:Decrypt` through Secrets Manager
    on this key), whoever deploys writes it. In a key policy `"*"` is the key itself.
    """
    account = {"AWS": f"arn:{partition}:iam::{account_id}:root"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": account,
                "Action": list(KEY_ADMINISTRATION_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "UseOnlyThroughSecretsManager",
                "Effect": "Allow",
                "Principal": account,
                "Action": list(SECRETS_MANAGER_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                        "kms:CallerAccount": account_id,
                    }
                },
            },
        ],
    }


@dataclass(frozen=True)
class DatadogApiKeySecretArgs:
    """Either a new secret holding `api_key`, or an existing secret by ARN."""

    secret_name: str
    """Name of the secret to create (ignored with `existing_secret_arn`)."""
    api_key: pulumi.Input[str] | None = None
    """The key to store; kept secret in state and plans."""
    existing_secret_arn: str | None = None
    """Use this secret (JSON with a `DD_API_KEY` key) instead of creating one."""
    existing_kms_key_arn: str | None = None
    """Customer-managed key of the existing secret, if it has one."""
    customer_managed_key: bool = False
    """Encrypt a new secret with a customer-managed KMS key instead of the AWS-managed one."""
    protect: bool = False
    """Refuse to delete the secret and key with the stack (production)."""
    recovery_window_days: int = 30
    """How long a deleted secret can still be restored."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the secret and key."""

    @property
    def has_own_kms_key(self) -> bool:
        """Whether the secret is under a customer-managed key, which readers decrypt with."""
        return self.customer_managed_key or self.existing_kms_key_arn is not None

    def __post_init__(self) -> None:
        if (self.api_key is None) == (self.existing_secret_arn is None):
            raise ValueError("give exactly one of api_key and existing_secret_arn")
        if self.existing_secret_arn is not None and self.customer_managed_key:
            raise ValueError("customer_managed_key applies to a new secret only")
        if self.existing_kms_key_arn is not None and self.existing_secret_arn is None:
            raise ValueError("existing_kms_key_arn goes with existing_secret_arn")


class DatadogApiKeySecret(pulumi.ComponentResource):
    """A Secrets Manager secret `{"DD_API_KEY": ...}`, optionally under its own KMS key."""

    secret_arn: pulumi.Output[str]
    """ARN of the secret (without any JSON-key suffix)."""
    kms_key_arn: pulumi.Output[str | None]
    """ARN of the customer-managed key, or None with the AWS-managed one."""

    def __init__(
        self, name: str, args: DatadogApiKeySecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("observability:api_key_secret:DatadogApiKeySecret", name, None, opts)
        if args.existing_secret_arn is not None:
            self.secret_arn = pulumi.Output.from_input(args.existing_secret_arn)
            self.kms_key_arn = pulumi.Output.from_input(args.existing_kms_key_arn)
        else:
            assert args.api_key is not None
            self._create(name, args, args.api_key)
        self.register_outputs({"secret_arn": self.secret_arn, "kms_key_arn": self.kms_key_arn})

    def _create(self, name: str, args: DatadogApiKeySecretArgs, api_key: pulumi.Input[str]) -> None:
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)
        key: aws.kms.Key | None = None
        if args.customer_managed_key:
            invoke_opts = pulumi.InvokeOutputOptions(parent=self)
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts the Datadog API key secret {args.secret_name}",
                policy=pulumi.Output.all(
                    partition=aws.get_partition_output(opts=invoke_opts).partition,
                    region=aws.get_region_output(opts=invoke_opts).region,
                    account_id=aws.get_caller_identity_output(opts=invoke_opts).account_id,
                ).apply(lambda v: json.dumps(key_policy(**v))),
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=dict(args.tags),
                opts=kept,
            )
            aws.kms.Alias(
                f"{name}-key-alias",
                name=f"alias/{args.secret_name.replace('/', '-')}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=args.secret_name,
            description="Datadog API key, read by ECS tasks at container start",
            kms_key_id=key.arn if key is not None else None,
            recovery_window_in_days=args.recovery_window_days,
            tags=dict(args.tags),
            opts=kept,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(api_key).apply(api_key_secret_string),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.secret_arn = secret.arn
        self.kms_key_arn = key.arn if key is not None else pulumi.Output.from_input(None)

    def reference(self) -> ApiKeySecretRef:
        """How services refer to this secret."""
        return ApiKeySecretRef(secret_arn=self.secret_arn, kms_key_arn=self.kms_key_arn)
