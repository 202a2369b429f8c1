"""zizmor and checkov's github_actions checks on `.github/`, offline, as a reviewer runs them."""

import json
from pathlib import Path
from typing import Any

from tests.scanners.scanners import REPO_ROOT, Finding, assert_all_waived, run_scanner

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def _route(route: list[dict[str, Any]]) -> str:
    """zizmor's route to the YAML node, e.g. `jobs.test.steps[0].uses`."""
    text = ""
    for part in route:
        ((kind, value),) = part.items()
        text += f"[{value}]" if kind == "Index" else f".{value}"
    return text.lstrip(".")


def zizmor_findings(cwd: Path) -> list[Finding]:
    """zizmor's findings on `<cwd>/.github`, each named `<file>:<route>` at its primary location.

    No configuration file and no inline `# zizmor: ignore` comments count: policy/waivers.yaml is
    the one place where a finding is accepted.
    """
    result = run_scanner(
        "zizmor",
        *("--offline", "--no-config", "--no-ignores", "--no-exit-codes", "--format", "json"),
        ".github",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    findings = []
    for finding in json.loads(result.stdout):
        (primary,) = [
            location
            for location in finding["locations"]
            if location["symbolic"]["kind"] == "Primary"
        ]
        symbolic = primary["symbolic"]
        path = symbolic["key"]["Local"]["verbatim_path"]
        findings.append(
            Finding(
                scan="zizmor",
                check=finding["ident"],
                resource=f"{path}:{_route(symbolic['route']['route'])}",
                message=f"{finding['desc']} ({symbolic['annotation']})",
            )
        )
    return findings


def test_zizmor_finds_nothing_unwaived_in_our_workflows_and_actions() -> None:
    assert_all_waived("zizmor", zizmor_findings(REPO_ROOT))


def test_zizmor_names_each_finding_of_a_careless_workflow(tmp_path: Path) -> None:
    careless = tmp_path / ".github" / "workflows" / "careless.yml"
    careless.parent.mkdir(parents=True)
    careless.write_text(
        "on: pull_request_target\njobs:\n  build:\n"
        "    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v5\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    found = {(f.check, f.resource) for f in zizmor_findings(tmp_path)}
    file = ".github/workflows/careless.yml"
    assert {
        ("dangerous-triggers", f"{file}:on"),
        ("unpinned-uses", f"{file}:jobs.build.steps[0].uses"),
        ("artipacked", f"{file}:jobs.build.steps[0]"),
        ("template-injection", f"{file}:jobs.build.steps[1].run"),
    } <= found


def test_checkov_finds_nothing_unwaived_in_our_workflows() -> None:
    result = run_scanner(
        "checkov",
        *("--directory", ".github", "--framework", "github_actions"),
        *("--skip-download", "--soft-fail", "--output", "json"),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["check_type"] == "github_actions"
    assert report["summary"]["parsing_errors"] == 0
    results = report["results"]

    def file_of(check: dict[str, Any]) -> str:
        return str(Path(check["file_abs_path"]).relative_to(REPO_ROOT))

    # Every workflow was read: a file checkov cannot make sense of would otherwise pass unseen.
    checked = {file_of(c) for c in results["passed_checks"] + results["failed_checks"]}
    assert checked == {str(path.relative_to(REPO_ROOT)) for path in WORKFLOWS}
    findings = [
        Finding(
            scan="checkov-github-actions",
            check=check["check_id"],
            resource=f"{file_of(check)}:{check['resource']}",
            message=check["check_name"],
        )
        for check in results["failed_checks"]
    ]
    assert_all_waived("checkov-github-actions", findings)
