"""Monitor messages: state blocks, who each state notifies, and handle checks."""

import re

import pytest

from components.monitors import MessageText, Notifications, SeverityPolicy, monitor_message
from tests.factories import CHAT, PAGER, RUNBOOK, production_notifications

FULL_TEXT = MessageText(
    alert="Latency is {{value}}s, above {{threshold}}s.",
    recovery="Latency is back to {{value}}s.",
    warning="Latency is {{value}}s, above {{warn_threshold}}s.",
    no_data="No traces for 10 minutes.",
)


def test_production_pages_on_alert_and_resolves_the_page_on_recovery() -> None:
    message = monitor_message(FULL_TEXT, production_notifications(), "high", RUNBOOK)

    assert message == (
        "{{#is_alert}}\n"
        "Latency is {{value}}s, above {{threshold}}s.\n"
        "@pagerduty-Checkout\n"
        "{{/is_alert}}\n"
        "{{#is_warning}}\n"
        "Latency is {{value}}s, above {{warn_threshold}}s.\n"
        "@slack-checkout-alerts\n"
        "{{/is_warning}}\n"
        "{{#is_recovery}}\n"
        "Latency is back to {{value}}s.\n"
        "{{/is_recovery}}\n"
        "{{#is_alert_recovery}}\n"
        "@pagerduty-Checkout\n"
        "{{/is_alert_recovery}}\n"
        "{{#is_warning_recovery}}\n"
        "@slack-checkout-alerts\n"
        "{{/is_warning_recovery}}\n"
        "{{#is_no_data}}\n"
        "No traces for 10 minutes.\n"
        "@slack-checkout-alerts\n"
        "{{/is_no_data}}\n"
        "Runbook: https://runbooks.example.com/checkout-api"
    )


def test_low_severity_never_pages() -> None:
    message = monitor_message(FULL_TEXT, production_notifications(), "low")

    assert PAGER not in message
    assert "{{#is_alert}}\nLatency is {{value}}s, above {{threshold}}s.\n" + CHAT in message
    assert "{{#is_alert_recovery}}\n" + CHAT in message


def test_without_handles_states_are_recorded_but_nobody_is_notified() -> None:
    message = monitor_message(FULL_TEXT, Notifications(), "high")

    assert "@" not in message
    assert message == (
        "{{#is_alert}}\nLatency is {{value}}s, above {{threshold}}s.\n{{/is_alert}}\n"
        "{{#is_warning}}\nLatency is {{value}}s, above {{warn_threshold}}s.\n{{/is_warning}}\n"
        "{{#is_recovery}}\nLatency is back to {{value}}s.\n{{/is_recovery}}\n"
        "{{#is_no_data}}\nNo traces for 10 minutes.\n{{/is_no_data}}"
    )


def test_states_a_monitor_cannot_reach_get_no_block() -> None:
    text = MessageText(alert="Down.", recovery="Up.")

    message = monitor_message(text, production_notifications(), "high")

    assert "is_warning" not in message
    assert "is_no_data" not in message
    assert "Runbook" not in message


@pytest.mark.parametrize(
    "handle",
    [
        "@slack-checkout-alerts",
        "@slack-acme-ops_oncall",
        "@pagerduty-Checkout",
        "@pagerduty-Payments.API",
        "@opsgenie-payments",
        "@team-payments",
        "@webhook-incident-bot",
        "@oncall.payments@example.com",
    ],
)
def test_known_handles_are_accepted(handle: str) -> None:
    assert Notifications(alert=(handle,)).alert == (handle,)


@pytest.mark.parametrize(
    "handle",
    ["slack-checkout", "@slack-", "@pager-duty-x", "@slack-check out", "@user@localhost", "@"],
)
def test_unknown_handles_are_refused(handle: str) -> None:
    with pytest.raises(ValueError, match=r"unknown notification handle\(s\) '") as raised:
        Notifications(warning=(CHAT,), no_data=(handle,))

    assert repr(handle) in str(raised.value)
    assert repr(CHAT) not in str(raised.value)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"priority": 0}, "priority must be 1 (highest) to 5, got 0"),
        ({"priority": 6}, "priority must be 1 (highest) to 5, got 6"),
        ({"renotify_minutes": 0}, "renotify_minutes must be positive, got 0"),
    ],
)
def test_severity_policies_are_checked(policy: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        SeverityPolicy(**policy)


def test_each_severity_has_its_own_policy() -> None:
    notifications = production_notifications()

    assert notifications.policy("high") == SeverityPolicy(priority=1, renotify_minutes=60)
    assert notifications.policy("low") == SeverityPolicy(priority=3)
    assert Notifications().policy("high") == SeverityPolicy(priority=2)
    assert Notifications().policy("low") == SeverityPolicy(priority=4)
