"""The Datadog API key in AWS Secrets Manager, shared by every service of an environment."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.fargate.args import ApiKeySecretRef
from components.fargate.container_definitions import API_KEY_JSON_KEY


def api_key_secret_string(api_key: str) -> str:
    """The secret's value: JSON, so that ECS can inject the one key with `:DD_API_KEY::`."""
    return json.dumps({API_KEY_JSON_KEY: api_key})


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
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts the Datadog API key secret {args.secret_name}",
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
