"""Datadog sites and the endpoints derived from them.

Every endpoint is derived from the site so that an EU or AP organisation never ships data to US1 by
accident (the hard-coded `http-intake.logs.datadoghq.com` of other tools does exactly that).
"""

from typing import Final, Literal, get_args

DatadogSite = Literal[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
]

DATADOG_SITES: Final[tuple[str, ...]] = get_args(DatadogSite)


def logs_intake_host(site: DatadogSite) -> str:
    """The HTTP logs intake host for a site, as the FireLens Datadog output expects it."""
    return f"http-intake.logs.{site}"


def api_url(site: DatadogSite) -> str:
    """The API base URL the Datadog Terraform/Pulumi provider wants for a site."""
    return f"https://api.{site}/"
