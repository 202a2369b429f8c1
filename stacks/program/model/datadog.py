"""`observability:datadog`: the organisation, its API key secret and who gets notified."""

from pydantic import Field, ValidationInfo, field_validator

from components.datadog_site import DatadogSite
from stacks.program.model.types import (
    EnvName,
    KmsKeyArn,
    Model,
    NotificationHandle,
    SecretArn,
    SecretsManagerName,
)


class ApiKeySecretSettings(Model):
    """Where the Datadog API key is kept in Secrets Manager."""

    name: SecretsManagerName | None = None
    """Name of the secret to create; defaults to `datadog/<env>/api-key`."""
    existing_arn: SecretArn | None = None
    """Use this existing JSON secret (key `DD_API_KEY`) instead of creating one."""
    existing_kms_key_arn: KmsKeyArn | None = None
    """Customer-managed key of the existing secret, if any."""
    customer_managed_key: bool = False
    """Encrypt a created secret with its own KMS key."""
    recovery_window_days: int = Field(30, ge=7, le=30)
    """Days a deleted secret can be restored."""

    @field_validator("existing_kms_key_arn")
    @classmethod
    def _kms_key_needs_existing_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("existing_arn") is None:
            raise ValueError("only applies together with existingArn")
        return value

    @field_validator("customer_managed_key")
    @classmethod
    def _cmk_needs_created_secret(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("existing_arn") is not None:
            raise ValueError("applies to a created secret, not to existingArn")
        return value


class SeverityPolicySettings(Model):
    """Priority and reminders of the monitors of one severity."""

    priority: int | None = Field(ge=1, le=5)
    """Datadog priority, 1 (highest) to 5; null for none."""
    renotify_minutes: int | None = Field(None, gt=0)
    """Minutes between reminders while a monitor stays in alert; omitted, it notifies once."""


class NotificationSettings(Model):
    """Who hears about monitors, and how loudly. Datadog notifies exactly the handles in a
    message: with none, monitors change state in Datadog without notifying anyone."""

    alert: list[NotificationHandle] = []
    """Paged when a high-severity monitor alerts, and when it recovers."""
    warning: list[NotificationHandle] = []
    """Told about warnings and low-severity alerts, and about their recoveries."""
    no_data: list[NotificationHandle] = []
    """Told when a monitor that watches for missing data stops receiving any."""
    high: SeverityPolicySettings = SeverityPolicySettings(priority=2)
    """Priority and reminders of high-severity monitors (by default latency and error rate)."""
    low: SeverityPolicySettings = SeverityPolicySettings(priority=4)
    """Priority and reminders of low-severity monitors (by default throughput and error logs)."""


class MonitorDefaultSettings(Model):
    """How the monitors of every service of the stack watch for missing data."""

    no_data_minutes: int = Field(10, gt=0)
    """Minutes without traces before a service's latency monitor reports missing data."""
    no_data_environments: list[EnvName] = ["production"]
    """Environments where missing traces notify; elsewhere a quiet service is normal."""


class DatadogSettings(Model):
    """`observability:datadog`: the Datadog organisation the stack reports to."""

    site: DatadogSite = "datadoghq.com"
    """Datadog site; every intake and API endpoint is derived from it."""
    api_key_secret: ApiKeySecretSettings = ApiKeySecretSettings()
    """The API key secret."""
    notifications: NotificationSettings = NotificationSettings()
    """Who hears about the monitors of every service: production pages, dev usually notifies no
    one. A production-like stack (environment.protectResources, or env production or prod)
    must have alert handles for every service with monitors."""
    monitor_defaults: MonitorDefaultSettings = MonitorDefaultSettings()
    """Monitor behaviour shared by every service."""
    notification_handles: list[NotificationHandle] = []
    """Platform stacks only: the handles, besides those of `notifications`, that the
    organisation's Datadog integrations provide (PagerDuty services, Slack channels, teams,
    ...) and its team stacks may notify. A team stack's monitors may notify only the handles
    its platform defines: any other is refused at its key, as Datadog would silently notify no
    one through a handle no integration knows."""

    @property
    def defined_handles(self) -> tuple[str, ...]:
        """Every handle this stack defines for team stacks: the defaults' and the others."""
        defaults = self.notifications
        return tuple(
            sorted(
                {*defaults.alert, *defaults.warning, *defaults.no_data, *self.notification_handles}
            )
        )
