import copy
from typing import Any

import pytest

from components.problems import Problem
from stacks.validation.kubernetes import check_kubernetes_object, json_path, schema_version


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "labels": {"app.kubernetes.io/name": "web"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                "spec": {"containers": [{"name": "web", "image": "python:3.11-slim"}]},
            },
        },
    }


def test_valid_object_has_no_problems() -> None:
    assert check_kubernetes_object(deployment()) == []


def test_misspelled_field_is_reported_at_its_parent() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"

    [problem] = check_kubernetes_object(obj)

    assert problem.path == "$.spec.template.spec.containers[0]"
    assert "'imagePullPolicyy' was unexpected" in problem.reason


def test_wrong_type_is_reported_at_the_value() -> None:
    obj = deployment()
    obj["spec"]["replicas"] = "two"

    assert check_kubernetes_object(obj) == [
        Problem("$.spec.replicas", "'two' is not of type 'integer', 'null'")
    ]


def test_unknown_kind_is_a_problem() -> None:
    obj = {**deployment(), "kind": "Deploymnet"}

    [problem] = check_kubernetes_object(obj)

    assert problem.path == "$.kind"
    assert "Deploymnet" in problem.reason


def test_the_object_is_not_modified() -> None:
    obj = deployment()
    original = copy.deepcopy(obj)

    check_kubernetes_object(obj)

    assert obj == original


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("1.30", "1.30.0"), ("1.30.0", "1.30.0"), ("v1.31.2", "1.31.0"), ("1.25", "1.25.0")],
)
def test_kubernetes_versions_map_to_schema_versions(requested: str, expected: str) -> None:
    assert schema_version(requested) == expected


@pytest.mark.parametrize("version", ["1.20", "1.99", "2.0"])
def test_unsupported_version_is_a_clear_error(version: str) -> None:
    with pytest.raises(ValueError, match=r"has no schemas for Kubernetes .*; it has 1\.25\.0 to"):
        check_kubernetes_object(deployment(), version)


@pytest.mark.parametrize("version", ["", "latest", "1", "1.30.x"])
def test_malformed_version_is_an_error(version: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        schema_version(version)


def test_json_path_quotes_keys_that_are_not_identifiers() -> None:
    assert json_path([]) == "$"
    assert json_path(["spec", "containers", 0, "env", 2]) == "$.spec.containers[0].env[2]"
    assert (
        json_path(["metadata", "labels", "app.kubernetes.io/name"])
        == '$.metadata.labels["app.kubernetes.io/name"]'
    )
