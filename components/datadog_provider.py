"""The Datadog provider of a stack: its organisation's site and keys, never the ambient ones."""

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_datadog as datadog

from components.datadog_site import DatadogSite, api_url

# The provider's HTTP retries, given explicitly. What they do: terraform-provider-datadog v4.15.0
# (datadog/provider.go, fwprovider/framework_provider.go; the version pulumi-datadog's main
# bridged at eac14226, and pulumi_datadog 5.17.0's provider.py documents the same settings and
# defaults) hands them to datadog-api-client-go (api/datadog/client.go, `CallAPI` and
# `shouldRetryRequest`, at 1f7e702c): a 429 is retried after its `X-Ratelimit-Reset` seconds, a
# 5xx after base * multiplier^attempt seconds, at most `max_retries` times; once the timeout has
# passed since the first attempt, a wait ends the call with the last answer. An unset setting
# falls back on an environment variable of whoever runs `pulumi up` (DD_HTTP_CLIENT_RETRY_ENABLED,
# ..._TIMEOUT, ..._MAX_RETRIES, ...), which could turn retries off, then on the defaults: on,
# 60 s, 3 retries, base 2, multiplier 2. `http_client_retry_jitter` is left out: neither source
# has it, so what it does cannot be read.
RETRY_ENABLED: Final = "true"
"""A string: the provider's schema types it so (`true` or `false`)."""
RETRY_MAX_RETRIES: Final = 5
"""The provider's maximum (it refuses more). A large team stack creates hundreds of monitors and
dashboards at once and meets Datadog's rate limits, whose windows (`X-RateLimit-Period`, Datadog's
API reference, Rate Limits) are seconds to a minute long: three retries gave up within one."""
RETRY_BACKOFF_BASE: Final = 2
RETRY_BACKOFF_MULTIPLIER: Final = 2
"""The defaults: a 5xx waits 2, 4, 8, 16 and 32 s, 62 s over five retries."""
RETRY_TIMEOUT_SECONDS: Final = 120
"""Room for those five waits, or for a rate limit's reset of up to a minute after some: with the
default 60 s the last retries of a call would not happen."""


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
    """An explicit provider, so no resource falls back on DD_API_KEY, DATADOG_HOST or the retry
    settings of whoever runs `pulumi up`. The keys are marked secret even when given as plain
    strings."""
    return datadog.Provider(
        name,
        api_key=pulumi.Output.secret(args.api_key),
        app_key=pulumi.Output.secret(args.app_key),
        api_url=api_url(args.site),
        http_client_retry_enabled=RETRY_ENABLED,
        http_client_retry_max_retries=RETRY_MAX_RETRIES,
        http_client_retry_backoff_base=RETRY_BACKOFF_BASE,
        http_client_retry_backoff_multiplier=RETRY_BACKOFF_MULTIPLIER,
        http_client_retry_timeout=RETRY_TIMEOUT_SECONDS,
        opts=opts,
    )
