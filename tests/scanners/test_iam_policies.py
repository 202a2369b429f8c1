"""Every IAM policy document of every stack's plan: linted by parliament, and checked for what
matters (who may assume the roles, which resources, and every `"*"` with its reason)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

import pytest
import yaml

from components.api_key_secret import SECRETS_MANAGER_KEY_ACTIONS
from components.fargate.iam import ECS_TASKS_PRINCIPAL, WILDCARD_ONLY_ACTIONS
from stacks.tooling.engine import ACCOUNT_ID
from tests.scanners.conftest import STACKS
from tests.scanners.scanners import REPO_ROOT, Finding, assert_all_waived, run_scanner

Kind = Literal["trust", "identity", "key"]

# Where a plan may hold a policy document, and what kind of document it is. A document found
# anywhere else fails `test_every_policy_document_is_known`, so none escapes the checks below.
DOCUMENT_FIELDS: Final[dict[tuple[str, str], Kind]] = {
    ("aws:iam/role:Role", "assumeRolePolicy"): "trust",
    ("aws:iam/rolePolicy:RolePolicy", "policy"): "identity",
    ("aws:iam/policy:Policy", "policy"): "identity",
    ("aws:kms/key:Key", "policy"): "key",
}


@dataclass(frozen=True)
class PolicyDocument:
    stack: str
    resource: str
    """`<resource name>.<input>`, the same in every stack: one waiver serves them all."""
    kind: Kind
    document: dict[str, Any]

    def statements(self) -> list[dict[str, Any]]:
        statements = self.document["Statement"]
        return statements if isinstance(statements, list) else [statements]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _json_documents(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string in an input that is a JSON object with a `Statement`, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_documents(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_documents(item, f"{path}[{index}]")
    elif isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return
        if isinstance(parsed, dict) and "Statement" in parsed:
            yield path, parsed


def found_documents(plans: dict[str, Path]) -> list[tuple[str, dict[str, Any], str, Any]]:
    """(stack, resource, path, document) of every policy document anywhere in the plans."""
    found = []
    for stack, folder in plans.items():
        for resource in json.loads((folder / "resources.json").read_text()):
            for path, document in _json_documents(resource["inputs"], ""):
                found.append((stack, resource, path, document))
    return found


@pytest.fixture(scope="module")
def documents(plans: dict[str, Path]) -> list[PolicyDocument]:
    return [
        PolicyDocument(
            stack, f"{resource['name']}.{path}", DOCUMENT_FIELDS[resource["type"], path], document
        )
        for stack, resource, path, document in found_documents(plans)
        if (resource["type"], path) in DOCUMENT_FIELDS
    ]


def region(stack: str) -> str:
    config = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return str(config["aws:region"])


def as_iam_evaluates_it(document: PolicyDocument) -> dict[str, Any]:
    """The document parliament is given.

    A trust policy has no `Resource`: IAM evaluates it against the role it belongs to. Parliament
    1.6.4 lints identity and resource policies only and stops at a statement without one
    ("MALFORMED", and its statement.py says as much of trust policies), so each trust statement
    gets its role as `Resource`, which lets parliament check the rest (actions, principals,
    condition keys and their operators). Every other document goes as it is.
    """
    if document.kind != "trust":
        return document.document
    role = document.resource.split(".", 1)[0]
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"
    return {
        **document.document,
        "Statement": [{**s, "Resource": arn} for s in document.statements()],
    }


def parliament_findings(documents: list[PolicyDocument], folder: Path) -> list[Finding]:
    """Parliament's findings on the documents, in one run over a folder of them."""
    by_file = {}
    for index, document in enumerate(documents):
        path = folder / f"{index}.json"
        path.write_text(json.dumps(as_iam_evaluates_it(document), indent=1))
        by_file[str(path)] = document
    result = run_scanner(
        "parliament",
        "--directory",
        str(folder),
        "--include_policy_extension",
        ".json",
        "--minimum_severity",
        "INFO",
        "--json",
    )
    assert result.returncode in (0, 1), result.stderr
    findings = []
    for line in result.stdout.splitlines():
        reported = json.loads(line)
        document = by_file[reported["location"]["filepath"]]
        findings.append(
            Finding(
                "parliament",
                reported["issue"],
                document.resource,
                f"({document.stack}) {reported['title']}: {reported['detail']}",
            )
        )
    assert (result.returncode == 1) == bool(findings), result.stdout
    return findings


def test_every_policy_document_is_known(plans: dict[str, Path]) -> None:
    unknown = [
        f"{stack}: {resource['type']} {resource['name']}.{path}"
        for stack, resource, path, _ in found_documents(plans)
        if (resource["type"], path) not in DOCUMENT_FIELDS
    ]
    assert not unknown, "classify these policy documents in DOCUMENT_FIELDS: " + ", ".join(unknown)


def test_every_stack_with_services_has_every_kind_of_document(
    documents: list[PolicyDocument], plans: dict[str, Path]
) -> None:
    kinds = {(d.stack, d.kind) for d in documents}
    with_services = [stack for stack in STACKS if (plans[stack] / "ecs").is_dir()]
    assert set(with_services) >= {"dev", "production", "payments-production"}
    assert {(s, k) for s in with_services for k in ("trust", "identity")} <= kinds
    # Production and its platform encrypt the key's secret with a key of their own.
    assert {("production", "key"), ("platform-production", "key")} <= kinds


def test_parliament_finds_nothing_unwaived(documents: list[PolicyDocument], tmp_path: Path) -> None:
    assert_all_waived("parliament", parliament_findings(documents, tmp_path))


def test_parliament_reports_on_the_document_it_found_fault_with(
    documents: list[PolicyDocument], tmp_path: Path
) -> None:
    identity = next(d for d in documents if d.kind == "identity")
    trust = next(d for d in documents if d.kind == "trust")
    too_broad = replace(
        identity,
        resource="too-broad.policy",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "ecs:ListContainerInstances", "Resource": "*"}
            ],
        },
    )
    [statement] = trust.statements()
    misspelled = replace(
        trust,
        resource="misspelled-role.assumeRolePolicy",
        document={**trust.document, "Statement": [{**statement, "Action": "sts:AssumeRoles"}]},
    )
    findings = parliament_findings([trust, too_broad, misspelled], tmp_path)
    assert {(f.check, f.resource) for f in findings} == {
        ("RESOURCE_STAR", "too-broad.policy"),
        ("UNKNOWN_ACTION", "misspelled-role.assumeRolePolicy"),
    }


def test_roles_trust_only_ecs_tasks_of_the_stacks_account(
    documents: list[PolicyDocument],
) -> None:
    trusts = [d for d in documents if d.kind == "trust"]
    for trust in trusts:
        for statement in trust.statements():
            where = f"{trust.stack} {trust.resource}"
            assert statement["Principal"] == {"Service": ECS_TASKS_PRINCIPAL}, where
            assert statement["Action"] == "sts:AssumeRole", where
            condition = statement.get("Condition", {})
            assert condition.get("StringEquals") == {"aws:SourceAccount": ACCOUNT_ID}, where
            if trust.resource.endswith("-task-role.assumeRolePolicy"):
                assert condition.get("ArnLike") == {
                    "aws:SourceArn": f"arn:aws:ecs:{region(trust.stack)}:{ACCOUNT_ID}:*"
                }, where
    assert any(t.resource.endswith("-task-role.assumeRolePolicy") for t in trusts)


def wildcard_reason(document: PolicyDocument, statement: dict[str, Any], resource: str) -> str:
    """Why a resource with `*` in it is as narrow as it can be; empty when it is not."""
    actions = set(_listed(statement["Action"]))
    if resource == "*" and document.kind == "key":
        return "in a key policy, the key itself"
    if resource == "*" and actions <= WILDCARD_ONLY_ACTIONS:
        return "actions that take no resource (GetAuthorizationToken, ECS Exec's channel)"
    if resource.endswith(":*") and ":logs:" in resource and "*" not in resource[:-2]:
        return "every stream of one log group, which CreateLogStream and PutLogEvents act on"
    return ""


def test_every_wildcard_resource_is_one_the_service_requires(
    documents: list[PolicyDocument],
) -> None:
    unexplained = [
        f"{d.stack} {d.resource}: {resource} for {statement['Action']}"
        for d in documents
        if d.kind != "trust"
        for statement in d.statements()
        for resource in _listed(statement["Resource"])
        if "*" in resource and not wildcard_reason(d, statement, resource)
    ]
    assert not unexplained, "\n".join(unexplained)
    wildcard_actions = [
        f"{d.stack} {d.resource}: {action}"
        for d in documents
        for statement in d.statements()
        for action in _listed(statement["Action"])
        if "*" in action or "?" in action
    ]
    assert not wildcard_actions, "\n".join(wildcard_actions)


def test_keys_are_used_only_through_secrets_manager(documents: list[PolicyDocument]) -> None:
    uses = [
        (d, statement)
        for d in documents
        for statement in d.statements()
        if set(_listed(statement["Action"])) & set(SECRETS_MANAGER_KEY_ACTIONS)
    ]
    assert {d.kind for d, _ in uses} == {"identity", "key"}
    for document, statement in uses:
        where = f"{document.stack} {document.resource}"
        condition = statement.get("Condition", {}).get("StringEquals", {})
        assert condition.get("kms:ViaService") == (
            f"secretsmanager.{region(document.stack)}.amazonaws.com"
        ), where
        if document.kind == "key":
            assert condition.get("kms:CallerAccount") == ACCOUNT_ID, where
            assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, where
    principals = {
        json.dumps(s["Principal"]) for d in documents if d.kind == "key" for s in d.statements()
    }
    assert principals == {json.dumps({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"})}


def test_no_managed_policy_and_no_ecs_api_access(
    plans: dict[str, Path], documents: list[PolicyDocument]
) -> None:
    for folder in plans.values():
        types = {r["type"] for r in json.loads((folder / "resources.json").read_text())}
        assert "aws:iam/rolePolicyAttachment:RolePolicyAttachment" not in types, folder
    ecs_actions = [
        f"{d.stack} {d.resource}: {action}"
        for d in documents
        if d.kind == "identity"
        for statement in d.statements()
        for action in _listed(statement["Action"])
        if action.startswith("ecs:")
    ]
    assert not ecs_actions, "\n".join(ecs_actions)
