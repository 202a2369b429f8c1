"""AWS tags turned into Datadog tags."""

from components.datadog_tags import datadog_tag, datadog_tag_problem


def test_characters_datadog_would_replace_are_replaced() -> None:
    # A space would split the tag in two in DD_TAGS; Datadog turns = + @ into underscores.
    assert datadog_tag("Cost Center", "R+D = 1@eu") == "Cost_Center:R_D___1_eu"
    assert datadog_tag("owner.email", "a/b-c_d:e") == "owner.email:a/b-c_d:e"
    assert datadog_tag("flag", "") == "flag"


def test_tags_datadog_cannot_keep_are_refused() -> None:
    assert datadog_tag_problem("cost-center", "engineering") is None
    assert datadog_tag_problem("_private", "x") == (
        "'_private' does not start with a letter, as Datadog tags must"
    )
    assert datadog_tag_problem("Host", "x") == (
        "Host is a tag key Datadog reserves (unified service tagging and hosts); the project sets "
        "env, service and version itself"
    )
    assert datadog_tag_problem("k", "v" * 198) is None
    assert datadog_tag_problem("k", "v" * 199) == (
        "201 characters as a Datadog tag; Datadog keeps at most 200"
    )
