"""The container definitions builder, value by value."""

import dataclasses
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from components.fargate.args import (
    DEFAULT_CWS_INSTRUMENTATION_IMAGE,
    AgentSidecar,
    ContainerHealthCheck,
    CwsInstrumentation,
    LlmObservability,
    SecretEnv,
    TraceSettings,
)
from components.fargate.container_definitions import (
    AGENT_MANAGED_ENV,
    LOG_ROUTER_TCP_PORTS,
    TaskTooSmallError,
    app_environment,
    container_budget,
    container_definitions,
    http_health_check_command,
    log_group_name,
    port_problem,
    start_process,
    task_volume_names,
    tmp_size_problem,
)
from tests.factories import (
    API_KEY_ARN,
    CLOUDWATCH,
    CMK_ARN,
    DB_SECRET_ARN,
    FIRELENS,
    SIDECAR,
    task,
)


def build(**overrides: object) -> dict[str, dict[str, Any]]:
    containers = container_definitions(
        task(**overrides), api_key_secret_arn=API_KEY_ARN, region="eu-west-1"
    )
    # The payload must survive the JSON round trip the component does.
    containers = json.loads(json.dumps(containers))
    return {c["name"]: c for c in containers}


def env_of(container: dict[str, Any]) -> dict[str, str]:
    names = [e["name"] for e in container["environment"]]
    assert names == sorted(names), "environment is sorted so previews show no reordering noise"
    return {e["name"]: e["value"] for e in container["environment"]}


UVICORN = ("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000")


def start(**overrides: object) -> tuple[list[str] | None, list[str]]:
    app = build(**overrides)["checkout-api"]
    return app.get("entryPoint"), app["command"]


def test_without_an_entry_point_the_command_runs_as_written_under_ddtrace_run() -> None:
    # The image's ENTRYPOINT is replaced, so an image whose ENTRYPOINT is `python` does not get
    # `ddtrace-run` as the script to run.
    assert start() == (["ddtrace-run"], list(UVICORN))


def test_an_entry_point_script_that_execs_its_arguments_runs_ddtrace_run() -> None:
    assert start(entry_point=("/docker-entrypoint.sh",)) == (
        ["/docker-entrypoint.sh"],
        ["ddtrace-run", *UVICORN],
    )
    assert start(entry_point=("tini", "--")) == (["tini", "--"], ["ddtrace-run", *UVICORN])


def test_a_python_entry_point_gets_ddtrace_run_in_front_of_it() -> None:
    command = ("-m", "uvicorn", "app.main:app")
    assert start(entry_point=("python",), command=command) == (
        ["ddtrace-run", "python"],
        list(command),
    )
    assert start(entry_point=("/usr/local/bin/python3.12", "-u"), command=command) == (
        ["ddtrace-run", "/usr/local/bin/python3.12", "-u"],
        list(command),
    )
    assert start(entry_point=("gunicorn",), command=("app:app",)) == (
        ["ddtrace-run", "gunicorn"],
        ["app:app"],
    )


def test_ddtrace_run_appears_once_or_the_start_is_refused() -> None:
    assert start(wrap_with_ddtrace=False) == (None, list(UVICORN))
    assert start(wrap_with_ddtrace=False, entry_point=("python",)) == (["python"], list(UVICORN))
    refused = {
        "command": task(command=("ddtrace-run", "uvicorn", "app:app")),
        "entryPoint": task(entry_point=("/usr/bin/ddtrace-run",)),
    }
    for field, spec in refused.items():
        with pytest.raises(ValueError, match=f"^{field}: holds ddtrace-run"):
            start_process(spec)
    with pytest.raises(ValueError, match="a shell's -c takes the command as one string"):
        start_process(task(entry_point=("/bin/sh", "-c")))


def test_unified_service_tagging_in_env_and_ecs_labels() -> None:
    app = build()["checkout-api"]
    env = env_of(app)
    assert (env["DD_SERVICE"], env["DD_ENV"], env["DD_VERSION"]) == ("checkout-api", "dev", "1.8.2")
    assert app["dockerLabels"] == {
        "com.datadoghq.tags.env": "dev",
        "com.datadoghq.tags.service": "checkout-api",
        "com.datadoghq.tags.version": "1.8.2",
    }
    assert not any(label.startswith("tags.datadoghq.com") for label in app["dockerLabels"])


def test_tracer_settings_reach_both_sampling_variables() -> None:
    env = app_environment(task(trace=TraceSettings(sample_rate=0.1, profiling=True)))
    assert env["DD_TRACE_ENABLED"] == "true"
    assert env["DD_LOGS_INJECTION"] == "true"
    assert env["DD_PROFILING_ENABLED"] == "true"
    assert env["DD_TRACE_SAMPLE_RATE"] == "0.1"
    assert json.loads(env["DD_TRACE_SAMPLING_RULES"]) == [{"sample_rate": 0.1}]


def test_sidecar_over_unix_socket() -> None:
    containers = build()
    app, agent = containers["checkout-api"], containers["datadog-agent"]
    env = env_of(app)
    assert env["DD_TRACE_AGENT_URL"] == "unix:///var/run/datadog/apm.socket"
    assert env["DD_DOGSTATSD_URL"] == "unix:///var/run/datadog/dsd.socket"
    assert "DD_AGENT_HOST" not in env
    agent_env = env_of(agent)
    assert agent_env["DD_APM_RECEIVER_SOCKET"] == "/var/run/datadog/apm.socket"
    assert agent_env["DD_DOGSTATSD_SOCKET"] == "/var/run/datadog/dsd.socket"
    assert agent_env["ECS_FARGATE"] == "true"
    assert agent_env["DD_ECS_TASK_COLLECTION_ENABLED"] == "true"
    assert agent_env["DD_SITE"] == "datadoghq.eu"
    mount = {"sourceVolume": "dd-sockets", "containerPath": "/var/run/datadog", "readOnly": False}
    assert app["mountPoints"] == [mount]
    assert agent["mountPoints"][0] == mount
    assert task_volume_names(task())[0] == "dd-sockets"


def test_sidecar_over_loopback_needs_no_socket_volume_or_port_mappings() -> None:
    loopback = dataclasses.replace(SIDECAR, transport="loopback")
    containers = build(agent=loopback)
    assert env_of(containers["checkout-api"])["DD_AGENT_HOST"] == "127.0.0.1"
    assert "mountPoints" not in containers["checkout-api"]
    assert "portMappings" not in containers["datadog-agent"]
    assert "dd-sockets" not in task_volume_names(task(agent=loopback))
    writable = dataclasses.replace(loopback, readonly_root_filesystem=False)
    assert task_volume_names(task(agent=writable)) == []
    assert "mountPoints" not in build(agent=writable)["datadog-agent"]


AGENT_VOLUMES = {
    "agent-config": "/etc/datadog-agent",
    "agent-tmp": "/tmp",
    "agent-run": "/opt/datadog-agent/run",
}


def test_the_agent_runs_read_only_on_volumes_the_init_container_prepares() -> None:
    # The three volumes of Datadog's CDK construct (PR #495) and Terraform module (#49, #88).
    containers = build()
    agent, init = containers["datadog-agent"], containers["datadog-agent-init"]
    assert agent["readonlyRootFilesystem"] is True
    assert {m["sourceVolume"]: m["containerPath"] for m in agent["mountPoints"]} == {
        "dd-sockets": "/var/run/datadog",
        **AGENT_VOLUMES,
    }
    assert not any(m["readOnly"] for m in agent["mountPoints"])
    assert task_volume_names(task()) == ["dd-sockets", *AGENT_VOLUMES]
    assert agent["dependsOn"] == [
        {"containerName": "datadog-agent-init", "condition": "SUCCESS"},
        {"containerName": "log-router", "condition": "START"},
    ]
    assert env_of(agent)["DD_LOG_FILE"] == "/opt/datadog-agent/run/logs"
    # The init container copies the image's configuration (contents, dotfiles included) into the
    # volume the agent then mounts over /etc/datadog-agent, and exits.
    assert init["image"] == agent["image"]
    assert init["essential"] is False
    assert init["command"] == ["cp", "-R", "/etc/datadog-agent/.", "/agent-config"]
    assert init["mountPoints"] == [
        {"sourceVolume": "agent-config", "containerPath": "/agent-config", "readOnly": False}
    ]
    assert init["readonlyRootFilesystem"] is True
    assert "cpu" not in init
    assert "memory" not in init
    assert init["dependsOn"] == [{"containerName": "log-router", "condition": "START"}]
    assert init["logConfiguration"]["options"]["dd_service"] == "datadog-agent-init"
    assert list(containers) == ["checkout-api", "datadog-agent-init", "datadog-agent", "log-router"]


def test_a_writable_agent_needs_no_init_container_or_volumes() -> None:
    containers = build(agent=dataclasses.replace(SIDECAR, readonly_root_filesystem=False))
    agent = containers["datadog-agent"]
    assert "datadog-agent-init" not in containers
    assert "readonlyRootFilesystem" not in agent
    assert "dependsOn" not in agent
    assert "DD_LOG_FILE" not in env_of(agent)
    assert [m["sourceVolume"] for m in agent["mountPoints"]] == ["dd-sockets"]


def test_the_sidecars_keep_the_root_user_their_images_need() -> None:
    # The Agent's dd-agent user cannot write to Fargate's root-owned task volumes, and FireLens
    # runs Fluent Bit as root.
    containers = build()
    assert "user" not in containers["datadog-agent"]
    assert "user" not in containers["log-router"]


def test_agent_sidecar_is_pinned_non_essential_health_checked_and_started_first() -> None:
    containers = build()
    agent = containers["datadog-agent"]
    assert agent["image"] == "public.ecr.aws/datadog/agent:7.81.2"
    assert agent["essential"] is False
    assert agent["healthCheck"] == {
        "command": ["CMD-SHELL", "/probe.sh"],
        "interval": 15,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 60,
    }
    assert containers["checkout-api"]["dependsOn"] == [
        {"containerName": "datadog-agent", "condition": "START"},
        {"containerName": "log-router", "condition": "START"},
    ]
    waiting = build(agent=dataclasses.replace(SIDECAR, app_waits_until_healthy=True))
    assert waiting["checkout-api"]["dependsOn"][0] == {
        "containerName": "datadog-agent",
        "condition": "HEALTHY",
    }


def test_api_key_only_through_secrets_with_the_json_key_suffix() -> None:
    containers = build()
    value_from = f"{API_KEY_ARN}:DD_API_KEY::"
    assert containers["datadog-agent"]["secrets"] == [
        {"name": "DD_API_KEY", "valueFrom": value_from}
    ]
    for container in containers.values():
        plain_names = [e["name"] for e in container.get("environment", [])]
        assert "DD_API_KEY" not in plain_names
        assert API_KEY_ARN not in json.dumps(container.get("environment", []))
    # With a sidecar the app holds no key at all.
    assert "secrets" not in containers["checkout-api"]


def test_agentless_llm_observability_gives_the_app_key_and_site() -> None:
    containers = build(agent=None, llm_observability=LlmObservability(ml_app="assistant"))
    assert set(containers) == {"checkout-api", "log-router"}
    app = containers["checkout-api"]
    assert "mountPoints" not in app
    env = env_of(app)
    assert env["DD_LLMOBS_ENABLED"] == "1"
    assert env["DD_LLMOBS_ML_APP"] == "assistant"
    assert env["DD_LLMOBS_AGENTLESS_ENABLED"] == "1"
    # No Agent to send APM traces to: only LLM Observability data leaves the app.
    assert env["DD_APM_TRACING_ENABLED"] == "false"
    assert env["DD_SITE"] == "datadoghq.eu"
    assert "DD_API_KEY" not in env
    assert app["secrets"] == [{"name": "DD_API_KEY", "valueFrom": f"{API_KEY_ARN}:DD_API_KEY::"}]
    assert app["dependsOn"] == [{"containerName": "log-router", "condition": "START"}]


def test_llm_observability_through_the_sidecar_is_not_agentless() -> None:
    assert "DD_APM_TRACING_ENABLED" not in env_of(build()["checkout-api"])
    env = env_of(build(llm_observability=LlmObservability(ml_app="assistant"))["checkout-api"])
    assert env["DD_LLMOBS_AGENTLESS_ENABLED"] == "0"
    assert "DD_SITE" not in env


def test_extra_secrets_keep_their_json_key_form() -> None:
    secret = SecretEnv(name="DATABASE_URL", secret_arn=DB_SECRET_ARN, json_key="url")
    plain = SecretEnv(name="RAW", secret_arn=DB_SECRET_ARN, kms_key_arn=CMK_ARN)
    app = build(secrets=(secret, plain))["checkout-api"]
    assert app["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": f"{DB_SECRET_ARN}:url::"},
        {"name": "RAW", "valueFrom": DB_SECRET_ARN},
    ]


@pytest.mark.parametrize(
    ("site", "host"),
    [
        ("datadoghq.com", "http-intake.logs.datadoghq.com"),
        ("datadoghq.eu", "http-intake.logs.datadoghq.eu"),
        ("us5.datadoghq.com", "http-intake.logs.us5.datadoghq.com"),
        ("ap1.datadoghq.com", "http-intake.logs.ap1.datadoghq.com"),
    ],
)
def test_firelens_ships_to_the_sites_own_intake(site: str, host: str) -> None:
    containers = build(datadog_site=site)
    log_config = containers["checkout-api"]["logConfiguration"]
    assert log_config["logDriver"] == "awsfirelens"
    assert log_config["options"] == {
        "Name": "datadog",
        "Host": host,
        "TLS": "on",
        "compress": "gzip",
        "provider": "ecs",
        "dd_service": "checkout-api",
        "dd_source": "python",
        "dd_message_key": "log",
        "dd_tags": "env:dev,version:1.8.2",
    }
    assert log_config["secretOptions"] == [
        {"name": "apikey", "valueFrom": f"{API_KEY_ARN}:DD_API_KEY::"}
    ]
    assert (
        containers["datadog-agent"]["logConfiguration"]["options"]["dd_service"] == "datadog-agent"
    )


def test_log_router_is_pinned_non_essential_and_logs_to_cloudwatch() -> None:
    router = build()["log-router"]
    assert router["image"] == "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.8"
    assert router["essential"] is False
    assert router["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/dev/checkout-api/log-router",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "log-router",
        },
    }


def test_log_router_parses_json_lines_with_the_config_its_image_ships() -> None:
    assert build()["log-router"]["firelensConfiguration"] == {
        "type": "fluentbit",
        "options": {
            "enable-ecs-log-metadata": "true",
            "config-file-type": "file",
            "config-file-value": "/fluent-bit/configs/parse-json.conf",
        },
    }
    plain_text = dataclasses.replace(FIRELENS, parse_json=False)
    assert build(logs=plain_text)["log-router"]["firelensConfiguration"] == {
        "type": "fluentbit",
        "options": {"enable-ecs-log-metadata": "true"},
    }


def test_log_router_health_check_feeds_firelens_health_input() -> None:
    check = build()["log-router"]["healthCheck"]
    assert check == {
        "command": ["CMD-SHELL", """echo '{"health": "check"}' > /dev/tcp/127.0.0.1/8877"""],
        "interval": 10,
        "timeout": 5,
        "retries": 2,
        "startPeriod": 30,
    }
    assert 8877 in LOG_ROUTER_TCP_PORTS
    # Whether the router parses JSON or not, it answers on the same input.
    plain_text = dataclasses.replace(FIRELENS, parse_json=False)
    assert build(logs=plain_text)["log-router"]["healthCheck"] == check


def _run_health_check(command: str, port: int) -> int:
    # /bin/sh is bash in the router's Amazon Linux images; here it may be another shell.
    shell_line = command.replace("8877", str(port))
    return subprocess.run(["bash", "-c", shell_line], timeout=10, check=False).returncode


def test_log_router_health_check_delivers_a_record_and_fails_when_nothing_listens() -> None:
    [_, shell_line] = build()["log-router"]["healthCheck"]["command"]
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        received: list[bytes] = []

        def accept() -> None:
            connection, _ = server.accept()
            with connection:
                received.append(connection.makefile("rb").read())

        reader = threading.Thread(target=accept)
        reader.start()
        assert _run_health_check(shell_line, port) == 0
        reader.join(timeout=10)
    assert [json.loads(r) for r in received] == [{"health": "check"}]
    assert _run_health_check(shell_line, port) != 0


def test_cloudwatch_logs_need_no_router() -> None:
    containers = build(logs=CLOUDWATCH)
    assert set(containers) == {"checkout-api", "datadog-agent-init", "datadog-agent"}
    assert containers["datadog-agent"]["dependsOn"] == [
        {"containerName": "datadog-agent-init", "condition": "SUCCESS"}
    ]
    assert "dependsOn" not in containers["datadog-agent-init"]
    assert containers["checkout-api"]["logConfiguration"]["options"] == {
        "awslogs-group": "/ecs/dev/checkout-api",
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "checkout-api",
    }
    assert log_group_name(task(logs=CLOUDWATCH)) == "/ecs/dev/checkout-api"


def test_containers_share_out_the_task_exactly() -> None:
    containers = build()
    assert sum(c.get("cpu", 0) for c in containers.values()) == 512
    assert sum(c.get("memory", 0) for c in containers.values()) == 1024
    assert (containers["checkout-api"]["cpu"], containers["checkout-api"]["memory"]) == (416, 640)
    assert container_budget(task(agent=None, logs=CLOUDWATCH)).app_memory == 1024


def test_sidecars_that_leave_the_app_too_little_are_rejected() -> None:
    with pytest.raises(TaskTooSmallError, match="512 MiB leaves 128 MiB for the app") as error:
        container_budget(task(cpu=256, memory=512))
    assert error.value.field == "memory"
    greedy = AgentSidecar(image=SIDECAR.image, cpu=200, memory=256)
    with pytest.raises(TaskTooSmallError, match="256 CPU units leave 24") as error:
        container_budget(task(cpu=256, memory=2048, agent=greedy))
    assert error.value.field == "cpu"


CWS = CwsInstrumentation(image=DEFAULT_CWS_INSTRUMENTATION_IMAGE)
CWS_TRACE = ["/cws-instrumentation-volume/cws-instrumentation", "trace", "--"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, (["ddtrace-run"], list(UVICORN)), id="no-entry-point"),
        pytest.param(
            {"entry_point": ("python",), "command": ("-m", "uvicorn", "app:app")},
            (["ddtrace-run", "python"], ["-m", "uvicorn", "app:app"]),
            id="python-entry-point",
        ),
        pytest.param(
            {"entry_point": ("/docker-entrypoint.sh",)},
            (["/docker-entrypoint.sh"], ["ddtrace-run", *UVICORN]),
            id="exec-wrapper-entry-point",
        ),
        pytest.param(
            {"wrap_with_ddtrace": False, "entry_point": ("uvicorn",), "command": UVICORN[1:]},
            (["uvicorn"], list(UVICORN[1:])),
            id="without-ddtrace",
        ),
        pytest.param(
            {
                "wrap_with_ddtrace": False,
                "entry_point": ("/bin/sh", "-c"),
                "command": ("ddtrace-run uvicorn app:app",),
            },
            (["/bin/sh", "-c"], ["ddtrace-run uvicorn app:app"]),
            id="shell-string",
        ),
    ],
)
def test_cws_instrumentation_wraps_every_start_shape_from_outside(
    overrides: dict[str, Any], expected: tuple[list[str], list[str]]
) -> None:
    # Without CWS the start is what the ddtrace rules make of it; with it, the tracer goes in
    # front of that entry point, so ddtrace-run and Python both run under it.
    assert start(**overrides) == expected
    entry_point, command = expected
    assert start(cws=CWS, **overrides) == ([*CWS_TRACE, *entry_point], command)


def test_cws_starts_that_cannot_be_wrapped_once_are_refused() -> None:
    refused = {
        "cws: needs agent: sidecar": task(cws=CWS, agent=None, llm_observability=None),
        "command: holds cws-instrumentation": task(
            cws=CWS, command=("/cws-instrumentation-volume/cws-instrumentation", "trace")
        ),
        "entryPoint: holds cws-instrumentation": task(cws=CWS, entry_point=tuple(CWS_TRACE)),
        "entryPoint: required with cws when wrapWithDdtrace is false": task(
            cws=CWS, wrap_with_ddtrace=False
        ),
    }
    for message, spec in refused.items():
        with pytest.raises(ValueError, match=f"^{message}"):
            start_process(spec)


def test_cws_wiring_follows_datadogs_fargate_guide() -> None:
    containers = build(cws=CWS)
    app, agent, init = (
        containers["checkout-api"],
        containers["datadog-agent"],
        containers["cws-instrumentation-init"],
    )
    assert init == {
        "name": "cws-instrumentation-init",
        "image": "public.ecr.aws/datadog/cws-instrumentation:7.81.2",
        "essential": False,
        "user": "0",
        "command": [
            "/cws-instrumentation",
            "setup",
            "--cws-volume-mount",
            "/cws-instrumentation-volume",
        ],
        "mountPoints": [
            {
                "sourceVolume": "cws-instrumentation-volume",
                "containerPath": "/cws-instrumentation-volume",
                "readOnly": False,
            }
        ],
        "logConfiguration": init["logConfiguration"],
    }
    assert init["logConfiguration"]["options"]["dd_service"] == "cws-instrumentation-init"
    # The tracer the app starts from is the one the init container copied, in time.
    assert {
        "sourceVolume": "cws-instrumentation-volume",
        "containerPath": "/cws-instrumentation-volume",
        "readOnly": True,
    } in app["mountPoints"]
    assert app["entryPoint"][0].startswith("/cws-instrumentation-volume/")
    assert {"containerName": "cws-instrumentation-init", "condition": "SUCCESS"} in app["dependsOn"]
    assert app["linuxParameters"] == {"capabilities": {"add": ["SYS_PTRACE"]}}
    assert task_volume_names(task(cws=CWS)) == [
        "dd-sockets",
        *AGENT_VOLUMES,
        "cws-instrumentation-volume",
    ]
    agent_env = env_of(agent)
    assert agent_env["DD_RUNTIME_SECURITY_CONFIG_ENABLED"] == "true"
    assert agent_env["DD_RUNTIME_SECURITY_CONFIG_EBPFLESS_ENABLED"] == "true"
    # The socket volume still reaches both, beside the tracer's.
    assert app["mountPoints"][0]["sourceVolume"] == "dd-sockets"


def test_cws_is_opt_in() -> None:
    containers = build()
    assert "cws-instrumentation-init" not in containers
    app = containers["checkout-api"]
    assert "linuxParameters" not in app
    assert app["entryPoint"] == ["ddtrace-run"]
    assert [m["sourceVolume"] for m in app["mountPoints"]] == ["dd-sockets"]
    assert [d["containerName"] for d in app["dependsOn"]] == ["datadog-agent", "log-router"]
    agent_env = env_of(containers["datadog-agent"])
    assert not any(name.startswith("DD_RUNTIME_SECURITY") for name in agent_env)


def test_ports_the_sidecars_take() -> None:
    sidecars = {"agent_sidecar": True, "log_router": True}
    assert port_problem(5678, **sidecars) is None
    assert port_problem(5678, **sidecars, cws=True) == (
        "5678 is taken by the Agent's Workload Protection receiver in the same task (its "
        "containers share one network namespace); listen on another port"
    )
    assert port_problem(8877, **sidecars) == (
        "8877 is taken by the FireLens log router's health-check input in the same task (its "
        "containers share one network namespace); listen on another port"
    )
    assert port_problem(8877, agent_sidecar=True, log_router=False) is None


def test_the_app_may_run_read_only_with_an_in_memory_tmp() -> None:
    assert "readonlyRootFilesystem" not in build()["checkout-api"]
    assert "linuxParameters" not in build()["checkout-api"]
    app = build(readonly_root_filesystem=True, tmp_size_mib=128)["checkout-api"]
    assert app["readonlyRootFilesystem"] is True
    # tmpfs keeps /tmp world-writable (mode 1777) for an image's non-root user, where a task
    # volume would be root's alone.
    assert app["linuxParameters"] == {
        "tmpfs": [
            {"containerPath": "/tmp", "size": 128, "mountOptions": ["nosuid", "nodev", "noexec"]}
        ]
    }
    assert tmp_size_problem(task(readonly_root_filesystem=True, tmp_size_mib=128)) is None
    assert tmp_size_problem(task(readonly_root_filesystem=False, tmp_size_mib=4096)) is None
    assert tmp_size_problem(task(readonly_root_filesystem=True, tmp_size_mib=640)) == (
        "640 MiB, and the app has 640 MiB: what /tmp holds counts against the app's memory, so "
        "a full /tmp would leave it none; make it smaller"
    )


def test_a_read_only_app_under_cws_keeps_both_its_tmp_and_its_capability() -> None:
    app = build(readonly_root_filesystem=True, cws=CWS)["checkout-api"]
    assert app["linuxParameters"]["capabilities"] == {"add": ["SYS_PTRACE"]}
    assert [t["containerPath"] for t in app["linuxParameters"]["tmpfs"]] == ["/tmp"]


def test_the_app_runs_as_the_user_given() -> None:
    assert "user" not in build()["checkout-api"]
    assert build(user="1000:1000")["checkout-api"]["user"] == "1000:1000"


def test_dogstatsd_origin_detection_is_client_side_with_the_cardinality_chosen() -> None:
    env = env_of(build()["datadog-agent"])
    assert env["DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT"] == "true"
    assert env["DD_DOGSTATSD_TAG_CARDINALITY"] == "orchestrator"
    # Socket origin detection would need the app's PID namespace (pidMode: task).
    assert "DD_DOGSTATSD_ORIGIN_DETECTION" not in env
    off = dataclasses.replace(
        SIDECAR, dogstatsd_origin_detection=False, dogstatsd_tag_cardinality="low"
    )
    env = env_of(build(agent=off)["datadog-agent"])
    assert "DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT" not in env
    assert env["DD_DOGSTATSD_TAG_CARDINALITY"] == "low"


def test_the_stacks_tags_reach_the_agent_and_the_logs() -> None:
    containers = build(datadog_tags=("cost-center:engineering", "team:payments"))
    assert env_of(containers["datadog-agent"])["DD_TAGS"] == "cost-center:engineering team:payments"
    for name in ("checkout-api", "datadog-agent", "datadog-agent-init"):
        assert containers[name]["logConfiguration"]["options"]["dd_tags"] == (
            "env:dev,version:1.8.2,cost-center:engineering,team:payments"
        )
    assert "DD_TAGS" not in env_of(build()["datadog-agent"])


def test_the_agent_takes_extra_variables_but_keeps_its_own() -> None:
    extra = dataclasses.replace(
        SIDECAR, env={"DD_APM_IGNORE_RESOURCES": "GET /health", "DD_SITE": "datadoghq.com"}
    )
    env = env_of(build(agent=extra)["datadog-agent"])
    assert env["DD_APM_IGNORE_RESOURCES"] == "GET /health"
    assert env["DD_SITE"] == "datadoghq.eu"


def test_agent_managed_env_names_every_variable_the_builder_sets() -> None:
    # The model refuses these in the Agent's env; a name set here but missing there would let a
    # stack file override it silently.
    agent = build(datadog_tags=("team:payments",), cws=CWS)["datadog-agent"]
    names = {e["name"] for e in agent["environment"]} | {s["name"] for s in agent["secrets"]}
    assert names == AGENT_MANAGED_ENV


def test_the_log_router_runs_read_only_with_extra_variables() -> None:
    router = build()["log-router"]
    assert router["readonlyRootFilesystem"] is True
    assert "environment" not in router
    logs = dataclasses.replace(
        FIRELENS, router_readonly_root_filesystem=False, router_env={"FLB_LOG_LEVEL": "debug"}
    )
    router = build(logs=logs)["log-router"]
    assert "readonlyRootFilesystem" not in router
    assert router["environment"] == [{"name": "FLB_LOG_LEVEL", "value": "debug"}]


def test_the_app_has_no_health_check_unless_one_is_given() -> None:
    assert "healthCheck" not in build()["checkout-api"]


def test_the_apps_health_check_is_passed_through_whole() -> None:
    check = ContainerHealthCheck(
        command=("CMD-SHELL", "curl -f http://127.0.0.1:8000/health || exit 1"),
        interval=10,
        timeout=3,
        retries=5,
        start_period=45,
    )
    assert build(health_check=check)["checkout-api"]["healthCheck"] == {
        "command": ["CMD-SHELL", "curl -f http://127.0.0.1:8000/health || exit 1"],
        "interval": 10,
        "timeout": 3,
        "retries": 5,
        "startPeriod": 45,
    }


def test_the_http_health_check_runs_pythons_urllib_without_a_shell() -> None:
    command = http_health_check_command(8000, "/health", 5)
    assert command[:3] == ("CMD", "python3", "-c")
    assert command[3] == (
        "import urllib.request as u; "
        "u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:8000/health', timeout=5)"
    )


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/health": 200, "/moved": 302, "/broken": 503}.get(self.path, 404)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/health")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads exit statuses, not the server's log."""


@pytest.fixture(scope="module")
def app_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    thread.join()


def _exit_status(port: int, path: str) -> int:
    [form, _python, flag, code] = http_health_check_command(port, path, 2)
    assert (form, flag) == ("CMD", "-c")
    # The interpreter running the tests stands in for the image's python3; a proxy in the app's
    # environment that nothing answers on must not be asked.
    environment = {k: v for k, v in os.environ.items() if k.lower() != "http_proxy"}
    environment["HTTP_PROXY"] = "http://127.0.0.1:9"
    return subprocess.run(
        [sys.executable, flag, code], check=False, env=environment, timeout=30
    ).returncode


@pytest.mark.parametrize(
    ("path", "healthy"),
    [("/health", True), ("/moved", True), ("/broken", False), ("/missing", False)],
)
def test_the_http_health_check_exits_as_docker_reads_it(
    app_port: int, path: str, healthy: bool
) -> None:
    assert (_exit_status(app_port, path) == 0) is healthy


def test_the_http_health_check_fails_when_nothing_listens() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert _exit_status(port, "/health") == 1
