"""The Datadog provider of a stack: its organisation's site and keys, never the ambient ones."""

from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from components.datadog_site import DatadogSite, api_url


@dataclass(frozen=True)
class DatadogProviderArgs:
    site: DatadogSite
    """The organisation's site; the provider otherwise talks to US1 whatever the keys."""
    api_key: pulumi.Input[str]
    app_key: pulumi.Input[str]
    """Application key with the monitors and dashboards write scopes."""


def datadog_provider(
    name: str, args: DatadogProviderArgs, opts: pulumi.ResourceOptions | None = None
) -> datadog.Provider:
    """An explicit provider, so no resource falls back on DD_API_KEY or DATADOG_HOST of
    whoever runs `pulumi up`. The keys are marked secret even when given as plain strings."""
    return datadog.Provider(
        name,
        api_key=pulumi.Output.secret(args.api_key),
        app_key=pulumi.Output.secret(args.app_key),
        api_url=api_url(args.site),
        opts=opts,
    )
