"""The Datadog provider: the site's API URL, and keys that never show."""

import json

import pytest

from components.datadog_provider import DatadogProviderArgs, datadog_provider
from components.datadog_site import DATADOG_SITES, DatadogSite
from stacks.tooling.engine import run_program

API_URLS: dict[DatadogSite, str] = {
    "datadoghq.com": "https://api.datadoghq.com/",
    "datadoghq.eu": "https://api.datadoghq.eu/",
    "us3.datadoghq.com": "https://api.us3.datadoghq.com/",
    "us5.datadoghq.com": "https://api.us5.datadoghq.com/",
    "ap1.datadoghq.com": "https://api.ap1.datadoghq.com/",
    "ap2.datadoghq.com": "https://api.ap2.datadoghq.com/",
    "ddog-gov.com": "https://api.ddog-gov.com/",
}


# What the provider receives (Pulumi sends a provider's inputs as strings): retries on, five of
# them, and two minutes for a call (components/datadog_provider.py says why).
RETRIES = {
    "httpClientRetryEnabled": "true",
    "httpClientRetryMaxRetries": "5",
    "httpClientRetryBackoffBase": "2",
    "httpClientRetryBackoffMultiplier": "2",
    "httpClientRetryTimeout": "120",
}


def test_every_site_has_its_expected_url() -> None:
    assert sorted(API_URLS) == sorted(DATADOG_SITES)


@pytest.mark.parametrize(("site", "url"), API_URLS.items())
def test_provider_talks_to_the_sites_api_with_masked_keys(site: DatadogSite, url: str) -> None:
    run = run_program(
        lambda: datadog_provider(
            "datadog", DatadogProviderArgs(site, "plain-api-key", "plain-app-key")
        ),
        stack="production",
    )

    (provider,) = run.resources
    assert provider.type == "pulumi:providers:datadog"
    assert provider.inputs == {
        "apiUrl": url,
        "apiKey": "[secret]",
        "appKey": "[secret]",
        **RETRIES,
    }
    recorded = json.dumps([resource.to_json() for resource in run.resources])
    assert "plain-api-key" not in recorded
    assert "plain-app-key" not in recorded
