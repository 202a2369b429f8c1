"""Container definitions of an instrumented Fargate task, as the ECS API wants them.

Pure functions of a `TaskSpec` and a few resolved strings, so every value can be tested directly.
"""

import json
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from components.datadog_site import logs_intake_host
from components.fargate.args import (
    CloudWatchLogs,
    ContainerHealthCheck,
    CwsInstrumentation,
    DatadogLogs,
    TaskSpec,
    secret_value_from,
)

AGENT_CONTAINER: Final = "datadog-agent"
AGENT_INIT_CONTAINER: Final = "datadog-agent-init"
LOG_ROUTER_CONTAINER: Final = "log-router"
SOCKET_VOLUME: Final = "dd-sockets"
SOCKET_DIR: Final = "/var/run/datadog"
# Names and paths of Datadog's Workload Protection setup on ECS Fargate (docs "AWS Fargate
# Configuration Guide for Datadog Security", DataDog/documentation
# content/en/security/guide/aws_fargate_config_guide.md), which the CDK construct
# (DataDog/datadog-cdk-constructs src/ecs/fargate, v2-5.1.0) and the Terraform module
# (DataDog/terraform-aws-ecs-datadog modules/ecs_fargate, v1.1.1) use too.
CWS_INIT_CONTAINER: Final = "cws-instrumentation-init"
CWS_VOLUME: Final = "cws-instrumentation-volume"
CWS_DIR: Final = "/cws-instrumentation-volume"
CWS_PROGRAM: Final = "cws-instrumentation"
CWS_TRACE: Final = (f"{CWS_DIR}/{CWS_PROGRAM}", "trace", "--")
API_KEY_JSON_KEY: Final = "DD_API_KEY"

# The paths the Agent writes at run time, each on a task volume of its own when its root
# filesystem is read-only: the same three volumes as Datadog's CDK construct (PR #495,
# src/ecs/fargate/datadog-ecs-fargate.ts) and Terraform module (#49, #88,
# modules/ecs_fargate/datadog.tf), which mount nothing else; the Agent's Dockerfile declares
# /var/run/s6 and /var/log/datadog as VOLUMEs for read-only root filesystems.
AGENT_CONFIG_DIR: Final = "/etc/datadog-agent"
AGENT_RUN_DIR: Final = "/opt/datadog-agent/run"
AGENT_WRITABLE_VOLUMES: Final = {
    "agent-config": AGENT_CONFIG_DIR,
    "agent-tmp": "/tmp",
    "agent-run": AGENT_RUN_DIR,
}
# Where the init container sees the agent-config volume while it copies the image's
# configuration into it: an empty volume over /etc/datadog-agent would hide the defaults
# (conf.d, datadog-ecs.yaml) that the Agent's start-up scripts read and rewrite.
_AGENT_CONFIG_COPY_DIR: Final = "/agent-config"

# The smallest share of the task the app may be left with once the sidecars took theirs; below
# this a Python service with ddtrace does not start reliably.
MIN_APP_CPU: Final = 64
MIN_APP_MEMORY: Final = 256

# Variables the builder owns. A service's own `env` may not set them: a silent override would
# break unified service tagging or route data to the wrong place.
RESERVED_ENV: Final = frozenset(
    {
        "DD_SERVICE",
        "DD_ENV",
        "DD_VERSION",
        "DD_SITE",
        "DD_API_KEY",
        "DD_TRACE_ENABLED",
        "DD_TRACE_SAMPLE_RATE",
        "DD_TRACE_SAMPLING_RULES",
        "DD_LOGS_INJECTION",
        "DD_PROFILING_ENABLED",
        "DD_AGENT_HOST",
        "DD_TRACE_AGENT_URL",
        "DD_DOGSTATSD_URL",
        "DD_LLMOBS_ENABLED",
        "DD_LLMOBS_ML_APP",
        "DD_LLMOBS_AGENTLESS_ENABLED",
        "DD_APM_TRACING_ENABLED",
    }
)

AGENT_MANAGED_ENV: Final = frozenset(
    {
        "ECS_FARGATE",
        "DD_API_KEY",
        "DD_SITE",
        "DD_ENV",
        "DD_TAGS",
        "DD_APM_ENABLED",
        "DD_LOGS_ENABLED",
        "DD_ECS_TASK_COLLECTION_ENABLED",
        "DD_APM_RECEIVER_SOCKET",
        "DD_DOGSTATSD_SOCKET",
        "DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT",
        "DD_DOGSTATSD_TAG_CARDINALITY",
        "DD_LOG_FILE",
        "DD_RUNTIME_SECURITY_CONFIG_ENABLED",
        "DD_RUNTIME_SECURITY_CONFIG_EBPFLESS_ENABLED",
    }
)
"""Variables the builder sets on the Agent, which the Agent's own `env` may not set."""


# TCP ports the sidecars listen on inside the task, which shares one network namespace: an app
# listening on one of them fails to start, or keeps the sidecar from starting. The Agent's are its
# defaults (datadog-agent pkg/config/setup: expvar_port 5000, cmd_port 5001, apm_config.debug.port
# 5012, the trace receiver on 8126); DogStatsD's 8125 is UDP, which a TCP app port leaves free.
# With Workload Protection the Agent's system-probe also takes localhost:5678, where
# cws-instrumentation sends its events (`runtime_security_config.ebpfless.socket`, default
# `constants.DefaultEBPFLessProbeAddr` in datadog-agent). FireLens listens on 24224 (the ECS
# developer guide, "Example task definition: Route logs to FireLens") and on 127.0.0.1:8877 for
# health checks (the Fluent Bit configuration FireLens generates,
# aws-samples/amazon-ecs-firelens-under-the-hood generated-configs/fluent-bit).
AGENT_TCP_PORTS: Final = {
    5000: "the Agent's expvar server",
    5001: "the Agent's IPC API",
    5012: "the trace agent's debug server",
    8126: "the Agent's trace receiver",
}
CWS_TCP_PORTS: Final = {5678: "the Agent's Workload Protection receiver"}
LOG_ROUTER_TCP_PORTS: Final = {
    24224: "the FireLens log router",
    8877: "the FireLens log router's health-check input",
}


def port_problem(
    port: int, *, agent_sidecar: bool, log_router: bool, cws: bool = False
) -> str | None:
    """Why the app cannot listen on `port` next to the task's sidecars; None when it can."""
    taken: dict[int, str] = {}
    if agent_sidecar:
        taken |= AGENT_TCP_PORTS
    if agent_sidecar and cws:
        taken |= CWS_TCP_PORTS
    if log_router:
        taken |= LOG_ROUTER_TCP_PORTS
    taken_by = taken.get(port)
    if taken_by is None:
        return None
    return (
        f"{port} is taken by {taken_by} in the same task (its containers share one network "
        "namespace); listen on another port"
    )


class TaskTooSmallError(ValueError):
    """The sidecars leave the app too little of the task's `field` ("cpu" or "memory")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ContainerBudget:
    """How the task's CPU and memory are shared out."""

    app_cpu: int
    app_memory: int


def container_budget(task: TaskSpec) -> ContainerBudget:
    """The app's share of the task once the sidecars took theirs; ValueError when too small."""
    sidecar_cpu = sidecar_memory = 0
    if task.agent is not None:
        sidecar_cpu += task.agent.cpu
        sidecar_memory += task.agent.memory
    if isinstance(task.logs, DatadogLogs):
        sidecar_cpu += task.logs.router_cpu
        sidecar_memory += task.logs.router_memory
    budget = ContainerBudget(task.cpu - sidecar_cpu, task.memory - sidecar_memory)
    if budget.app_memory < MIN_APP_MEMORY:
        raise TaskTooSmallError(
            "memory",
            f"{task.memory} MiB leaves {budget.app_memory} MiB for the app after the sidecars' "
            f"{sidecar_memory} MiB (the app needs at least {MIN_APP_MEMORY})",
        )
    if budget.app_cpu < MIN_APP_CPU:
        raise TaskTooSmallError(
            "cpu",
            f"{task.cpu} CPU units leave {budget.app_cpu} for the app after the sidecars' "
            f"{sidecar_cpu} (the app needs at least {MIN_APP_CPU})",
        )
    return budget


DDTRACE_RUN: Final = "ddtrace-run"

# Programs that are the Python process itself, so ddtrace-run goes in front of them. Any other
# entry point is taken for a wrapper that execs its arguments (docker-entrypoint scripts, tini,
# dumb-init), so ddtrace-run goes in front of the command it runs.
_PYTHON_PROGRAM: Final = re.compile(
    r"python(\d+(\.\d+)?)?|uvicorn|gunicorn|hypercorn|daphne|celery"
)
_SHELLS: Final = frozenset({"sh", "ash", "bash", "dash", "zsh"})


@dataclass(frozen=True)
class StartProblem:
    """Why a start command cannot run the app under its wrappers, each exactly once."""

    field: Literal["command", "entryPoint", "cws"]
    """The key at fault."""
    reason: str


@dataclass(frozen=True)
class StartProcess:
    """What the app container's `entryPoint` and `command` are."""

    entry_point: list[str] | None
    """None leaves the image's ENTRYPOINT in place."""
    command: list[str]


def _program(argv: tuple[str, ...]) -> str:
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def _holding(
    program: str, entry_point: tuple[str, ...] | None, command: tuple[str, ...]
) -> Literal["command", "entryPoint"] | None:
    """The first of command and entryPoint with an argument that is `program`, by any path."""
    starts: tuple[tuple[Literal["command", "entryPoint"], tuple[str, ...]], ...] = (
        ("command", command),
        ("entryPoint", entry_point or ()),
    )
    for field, argv in starts:
        if any(_program((arg,)) == program for arg in argv):
            return field
    return None


def start_problem(
    entry_point: tuple[str, ...] | None, command: tuple[str, ...], wrap_with_ddtrace: bool
) -> StartProblem | None:
    """What keeps `start_process` from putting ddtrace-run once in front of the Python process."""
    if not wrap_with_ddtrace:
        return None
    field = _holding(DDTRACE_RUN, entry_point, command)
    if field is not None:
        return StartProblem(
            field,
            f"holds {DDTRACE_RUN} while wrapWithDdtrace is true; drop it or set "
            "wrapWithDdtrace: false (wrapping twice patches every library twice)",
        )
    if entry_point and _program(entry_point) in _SHELLS and "-c" in entry_point:
        return StartProblem(
            "entryPoint",
            f"a shell's -c takes the command as one string, so {DDTRACE_RUN} cannot be put in "
            "front of the Python process; give the program and its arguments as a list without "
            f"a shell, or set wrapWithDdtrace: false and start the string with {DDTRACE_RUN}",
        )
    return None


def cws_problem(
    entry_point: tuple[str, ...] | None,
    command: tuple[str, ...],
    wrap_with_ddtrace: bool,
    *,
    agent_sidecar: bool,
) -> StartProblem | None:
    """What keeps `start_process` from putting cws-instrumentation once in front of it all."""
    if not agent_sidecar:
        return StartProblem(
            "cws",
            f"needs agent: sidecar: {CWS_PROGRAM} reports what the app does to the Agent's "
            "runtime security module in the same task",
        )
    field = _holding(CWS_PROGRAM, entry_point, command)
    if field is not None:
        return StartProblem(
            field,
            f"holds {CWS_PROGRAM} while cws is true; drop it (the task puts it in front of the "
            "entry point itself, from the volume its init container fills)",
        )
    if entry_point is None and not wrap_with_ddtrace:
        return StartProblem(
            "entryPoint",
            f"required with cws when wrapWithDdtrace is false: {CWS_PROGRAM} goes in front of the "
            "container's entry point, and the image's ENTRYPOINT is not in the task definition "
            "to put it in front of; name it (e.g. [/docker-entrypoint.sh]), or the command's "
            "program if the image has none",
        )
    return None


def start_process(task: TaskSpec) -> StartProcess:
    """The app's entryPoint and command, with ddtrace-run once in front of the Python process.

    Docker runs an image's ENTRYPOINT with the container's command as its arguments, and ECS's
    `entryPoint` replaces the ENTRYPOINT (and then the image's CMD is not used either). So:
    - no entry point given: `entryPoint: [ddtrace-run]` and the command, which then runs as
      written whatever ENTRYPOINT the image has (one of `python` would otherwise receive
      `ddtrace-run` as the script to run);
    - an entry point that is the Python process (`python`, `uvicorn`, ...): ddtrace-run in front
      of it;
    - any other entry point must exec its arguments: ddtrace-run in front of the command.
    With Workload Protection, `cws-instrumentation trace --` goes in front of the entry point so
    built: it traces the process it starts and every process that one starts, so it must be the
    outermost wrapper to see the app from its first instruction (Datadog's guide puts it in front
    of the image's entry point; the CDK construct and the Terraform module prefix the container's
    entryPoint with it). ddtrace-run, which execs Python, then runs under it.
    ValueError when that cannot be done (`start_problem`, `cws_problem`).
    """
    problem = start_problem(task.entry_point, task.command, task.wrap_with_ddtrace)
    if problem is None and task.cws is not None:
        problem = cws_problem(
            task.entry_point,
            task.command,
            task.wrap_with_ddtrace,
            agent_sidecar=task.agent is not None,
        )
    if problem is not None:
        raise ValueError(f"{problem.field}: {problem.reason}")
    process = _ddtrace_start(task)
    if task.cws is None:
        return process
    assert process.entry_point is not None, "cws_problem refuses a start without an entry point"
    return StartProcess([*CWS_TRACE, *process.entry_point], process.command)


def _ddtrace_start(task: TaskSpec) -> StartProcess:
    entry_point = None if task.entry_point is None else list(task.entry_point)
    command = list(task.command)
    if not task.wrap_with_ddtrace:
        return StartProcess(entry_point, command)
    if entry_point is None:
        return StartProcess([DDTRACE_RUN], command)
    if _PYTHON_PROGRAM.fullmatch(_program(task.entry_point or ())):
        return StartProcess([DDTRACE_RUN, *entry_point], command)
    return StartProcess(entry_point, [DDTRACE_RUN, *command])


def http_health_check_command(port: int, path: str, timeout: int) -> tuple[str, ...]:
    """A health check that GETs `path` on the app's port from inside its container.

    It runs the image's own Python: slim and distroless Python images have no curl or wget (and
    distroless ones no shell), but an image that runs a Python app has `python3`. Opening the URL
    raises, and so exits with status 1, on a refused connection, on a timeout and on a status of
    400 or more; redirects are followed. No proxy: urllib would otherwise send the request to
    one named in the app's HTTP_PROXY. 127.0.0.1 rather than localhost, which may resolve to ::1
    first while the app listens on IPv4 only.
    """
    url = f"http://127.0.0.1:{port}{path}"
    code = (
        "import urllib.request as u; "
        f"u.build_opener(u.ProxyHandler({{}})).open({url!r}, timeout={timeout})"
    )
    return ("CMD", "python3", "-c", code)


def health_check(check: ContainerHealthCheck) -> dict[str, Any]:
    """The container definition's `healthCheck`."""
    return {
        "command": list(check.command),
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "startPeriod": check.start_period,
    }


def api_key_value_from(api_key_secret_arn: str) -> str:
    """`valueFrom` of the Datadog API key inside the JSON secret."""
    return secret_value_from(api_key_secret_arn, API_KEY_JSON_KEY)


def log_group_name(task: TaskSpec) -> str:
    """The CloudWatch group of the task: all containers' logs, or only the log router's."""
    base = f"/ecs/{task.environment}/{task.service}"
    return f"{base}/{LOG_ROUTER_CONTAINER}" if isinstance(task.logs, DatadogLogs) else base


def log_retention_days(task: TaskSpec) -> int:
    if isinstance(task.logs, DatadogLogs):
        return task.logs.router_log_retention_days
    return task.logs.retention_days


def task_volume_names(task: TaskSpec) -> list[str]:
    """Task volumes (bind mounts of the task's ephemeral storage, the only kind Fargate has
    besides EFS): the socket directory the app and the agent share, the agent's writable paths
    under a read-only root filesystem, and the one the CWS init container copies the tracer
    into."""
    names = []
    if task.agent is not None and task.agent.transport == "unix-socket":
        names.append(SOCKET_VOLUME)
    if task.agent is not None and task.agent.readonly_root_filesystem:
        names += list(AGENT_WRITABLE_VOLUMES)
    if task.cws is not None:
        names.append(CWS_VOLUME)
    return names


def tmp_size_problem(task: TaskSpec) -> str | None:
    """Why the app's in-memory /tmp is too large for its share of the task; None when it fits."""
    if not task.readonly_root_filesystem:
        return None
    app_memory = container_budget(task).app_memory
    if task.tmp_size_mib < app_memory:
        return None
    return (
        f"{task.tmp_size_mib} MiB, and the app has {app_memory} MiB: what /tmp holds counts "
        "against the app's memory, so a full /tmp would leave it none; make it smaller"
    )


def app_environment(task: TaskSpec) -> dict[str, str]:
    """Plain environment of the app container (secrets go through `secrets`, never here)."""
    sample_rate = _rate(task.trace.sample_rate)
    env = {
        **task.env,
        "DD_SERVICE": task.service,
        "DD_ENV": task.environment,
        "DD_VERSION": task.version,
        "DD_TRACE_ENABLED": _flag(task.trace.enabled),
        "DD_LOGS_INJECTION": _flag(task.trace.logs_injection),
        "DD_PROFILING_ENABLED": _flag(task.trace.profiling),
        # ddtrace 3 removed DD_TRACE_SAMPLE_RATE and reads only sampling rules; older tracers read
        # the rate. Setting both keeps the configured rate in force on every ddtrace version.
        "DD_TRACE_SAMPLE_RATE": sample_rate,
        "DD_TRACE_SAMPLING_RULES": json.dumps([{"sample_rate": task.trace.sample_rate}]),
    }
    if task.agent is None:
        env["DD_SITE"] = task.datadog_site
        # Without an Agent there is nowhere to send APM traces: ddtrace before 4.10 retries and
        # logs "failed to send, dropping traces", 4.10+ exports them agentlessly alongside LLM
        # Observability. Off, only LLM Observability data leaves (ddtrace >= 3.16, release note
        # llmobs-apm-tracing; the setting of Datadog's agentless LLM Observability guides).
        env["DD_APM_TRACING_ENABLED"] = "false"
    elif task.agent.transport == "unix-socket":
        env["DD_TRACE_AGENT_URL"] = f"unix://{SOCKET_DIR}/apm.socket"
        env["DD_DOGSTATSD_URL"] = f"unix://{SOCKET_DIR}/dsd.socket"
    else:
        env["DD_AGENT_HOST"] = "127.0.0.1"
    if task.llm_observability is not None:
        env["DD_LLMOBS_ENABLED"] = "1"
        env["DD_LLMOBS_ML_APP"] = task.llm_observability.ml_app
        env["DD_LLMOBS_AGENTLESS_ENABLED"] = "1" if task.agent is None else "0"
    return env


def container_definitions(task: TaskSpec, *, api_key_secret_arn: str, region: str) -> list[Any]:
    """The task's container definitions: the app, then the agent (after the container that
    prepares its configuration volume), the log router and the CWS init container, each if
    any."""
    containers = [_app_container(task, api_key_secret_arn, region)]
    if task.agent is not None:
        if task.agent.readonly_root_filesystem:
            containers.append(_agent_init_container(task, api_key_secret_arn, region))
        containers.append(_agent_container(task, api_key_secret_arn, region))
    if isinstance(task.logs, DatadogLogs):
        containers.append(_log_router_container(task, task.logs, region))
    if task.cws is not None:
        containers.append(_cws_init_container(task, task.cws, api_key_secret_arn, region))
    return containers


MAX_TASK_DEFINITION_BYTES: Final = 64 * 1024
"""ECS's limit on a task definition (Amazon ECS service quotas: "Task definition size")."""
# What the task definition holds besides its container definitions (family, roles, volumes,
# sizes, tags), with room to spare; and an API key secret ARN as long as one can be, to size the
# container definitions before the secret exists.
_TASK_FIELDS_ALLOWANCE: Final = 4 * 1024
_LONGEST_SECRET_ARN: Final = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:" + (
    "x" * 512 + "-AbCdEf"
)


def task_definition_size_problem(task: TaskSpec) -> str | None:
    """Why the task definition would exceed ECS's size limit; None when it fits."""
    containers = container_definitions(
        task, api_key_secret_arn=_LONGEST_SECRET_ARN, region="ap-southeast-7"
    )
    size = len(json.dumps(containers).encode()) + _TASK_FIELDS_ALLOWANCE
    if size <= MAX_TASK_DEFINITION_BYTES:
        return None
    return (
        f"the task definition would take about {size // 1024} KiB, and ECS takes up to "
        f"{MAX_TASK_DEFINITION_BYTES // 1024} KiB: move large values out of env (a file in the "
        "image, or a secret)"
    )


def _app_container(task: TaskSpec, api_key_secret_arn: str, region: str) -> dict[str, Any]:
    budget = container_budget(task)
    secrets = {s.name: s.value_from for s in task.secrets}
    if task.agent is None:
        secrets["DD_API_KEY"] = api_key_value_from(api_key_secret_arn)
    process = start_process(task)
    container: dict[str, Any] = {
        "name": task.service,
        "image": task.image,
        "essential": True,
        "command": process.command,
        "cpu": budget.app_cpu,
        "memory": budget.app_memory,
        "environment": _name_values(app_environment(task)),
        "dockerLabels": {
            "com.datadoghq.tags.env": task.environment,
            "com.datadoghq.tags.service": task.service,
            "com.datadoghq.tags.version": task.version,
        },
        "logConfiguration": _log_configuration(task, task.service, api_key_secret_arn, region),
    }
    if process.entry_point is not None:
        container["entryPoint"] = process.entry_point
    # ECS drops empty lists from what it stores; sending one would show as a diff on every preview.
    if secrets:
        container["secrets"] = [{"name": n, "valueFrom": v} for n, v in sorted(secrets.items())]
    if task.port is not None:
        container["portMappings"] = [
            {"containerPort": task.port, "protocol": "tcp", "name": "http"}
        ]
    depends_on = _app_dependencies(task)
    if depends_on:
        container["dependsOn"] = depends_on
    mounts = []
    if SOCKET_VOLUME in task_volume_names(task):
        mounts.append(_socket_mount())
    if task.cws is not None:
        # Read-only, as Datadog's guide mounts it: the app runs the tracer and cannot replace it.
        mounts.append({"sourceVolume": CWS_VOLUME, "containerPath": CWS_DIR, "readOnly": True})
    if mounts:
        container["mountPoints"] = mounts
    if task.user is not None:
        container["user"] = task.user
    if task.readonly_root_filesystem:
        container["readonlyRootFilesystem"] = True
    linux_parameters = _app_linux_parameters(task)
    if linux_parameters:
        container["linuxParameters"] = linux_parameters
    if task.health_check is not None:
        container["healthCheck"] = health_check(task.health_check)
    return container


def _app_dependencies(task: TaskSpec) -> list[dict[str, str]]:
    depends_on = []
    if task.agent is not None:
        # HEALTHY only when asked (the model asks with CWS, whose tracer exits the app that cannot
        # reach the Agent): an Agent that never turns healthy (one with an invalid API key does
        # not) would hold every new task in PENDING, the app with it (README, "Add a service").
        # START keeps the order; what the app sends before the Agent listens is lost.
        depends_on.append(
            {
                "containerName": AGENT_CONTAINER,
                "condition": "HEALTHY" if task.agent.app_waits_until_healthy else "START",
            }
        )
    depends_on += _log_router_dependency(task)
    if task.cws is not None:
        # The entry point runs the tracer from the volume: it must have been copied there.
        depends_on.append({"containerName": CWS_INIT_CONTAINER, "condition": "SUCCESS"})
    return depends_on


def _app_linux_parameters(task: TaskSpec) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if task.cws is not None:
        # The tracer follows the app's processes with ptrace. SYS_PTRACE is the one capability
        # Fargate lets a task add (botocore's ECS model, KernelCapabilities.add).
        parameters["capabilities"] = {"add": ["SYS_PTRACE"]}
    if task.readonly_root_filesystem:
        # tmpfs rather than a task volume: Fargate mounts those owned by root with mode 0755
        # (the ECS developer guide, "Bind mounts"), which an image running as a non-root user
        # cannot write to, and Python's tempfile (gunicorn's worker heartbeat among its users)
        # needs a writable directory. tmpfs keeps the kernel's mode 1777 of a /tmp; Fargate
        # mounts it since January 2026 (botocore's ECS model dropped "tmpfs isn't supported"
        # for Fargate between 1.35 and 1.43).
        parameters["tmpfs"] = [
            {
                "containerPath": "/tmp",
                "size": task.tmp_size_mib,
                "mountOptions": ["nosuid", "nodev", "noexec"],
            }
        ]
    return parameters


def _agent_container(task: TaskSpec, api_key_secret_arn: str, region: str) -> dict[str, Any]:
    assert task.agent is not None
    agent = task.agent
    env = {
        **agent.env,
        "ECS_FARGATE": "true",
        "DD_SITE": task.datadog_site,
        "DD_ENV": task.environment,
        "DD_APM_ENABLED": "true",
        # Logs reach Datadog through FireLens or CloudWatch, never twice through the agent.
        "DD_LOGS_ENABLED": "false",
        # The Agent reads the task from the v4 metadata endpoint and sends it to the ECS
        # Explorer every 15 s or so; without it, tasks show up only through the AWS integration's
        # crawl, about once a day (Datadog's "Amazon ECS Explorer" docs). Off by default in the
        # Agent (`ecs_task_collection_enabled`); Datadog's Terraform module, CDK constructs and
        # `datadog-ci ecs-fargate instrument` all set it. The endpoint is the task's own and
        # takes no AWS credentials, so the task role grants nothing for it (components.fargate.iam).
        "DD_ECS_TASK_COLLECTION_ENABLED": "true",
        # The tags origin detection adds to DogStatsD metrics: `orchestrator` (task_arn) is what
        # Datadog's CDK construct and Terraform module default to; the Agent's own is `low`.
        "DD_DOGSTATSD_TAG_CARDINALITY": agent.dogstatsd_tag_cardinality,
    }
    if agent.dogstatsd_origin_detection:
        # The client sends its container id with each metric (datadogpy reads it from its
        # cgroup, Fargate's `<task id>-<n>` form included, unless DD_ORIGIN_DETECTION_ENABLED is
        # false), and the Agent tags the metric with that container's tags. The other kind,
        # DD_DOGSTATSD_ORIGIN_DETECTION, reads the sender's PID off the socket: in a task without
        # `pidMode: task` each container has its own PID namespace, the PID arrives as 0 and the
        # Agent logs a warning per packet (comp/dogstatsd/listeners/uds_linux.go).
        env["DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT"] = "true"
    if task.datadog_tags:
        env["DD_TAGS"] = " ".join(task.datadog_tags)
    if agent.transport == "unix-socket":
        env["DD_APM_RECEIVER_SOCKET"] = f"{SOCKET_DIR}/apm.socket"
        env["DD_DOGSTATSD_SOCKET"] = f"{SOCKET_DIR}/dsd.socket"
    if task.cws is not None:
        # Fargate has no eBPF: the runtime security module takes its events from the tracer in
        # the app container instead (the eBPF-less mode Datadog's guide, the CDK construct's
        # FargateEnvVarManager and the Terraform module's cws_vars all turn on).
        env["DD_RUNTIME_SECURITY_CONFIG_ENABLED"] = "true"
        env["DD_RUNTIME_SECURITY_CONFIG_EBPFLESS_ENABLED"] = "true"
    if agent.readonly_root_filesystem:
        # Into the run volume, as Datadog's Terraform module does (#49 moved it there rather
        # than mount a volume over /var/log/datadog).
        env["DD_LOG_FILE"] = f"{AGENT_RUN_DIR}/logs"
    container: dict[str, Any] = {
        "name": AGENT_CONTAINER,
        "image": agent.image,
        # An agent crash must not take the app down with it.
        "essential": False,
        "cpu": agent.cpu,
        "memory": agent.memory,
        "environment": _name_values(env),
        "secrets": [{"name": "DD_API_KEY", "valueFrom": api_key_value_from(api_key_secret_arn)}],
        "healthCheck": {
            "command": ["CMD-SHELL", "/probe.sh"],
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
        "logConfiguration": _log_configuration(task, AGENT_CONTAINER, api_key_secret_arn, region),
    }
    # Loopback needs no port mappings: in awsvpc mode the containers share one network namespace,
    # and mappings would only expose the agent on the task's network interface.
    mounts = [_socket_mount()] if agent.transport == "unix-socket" else []
    # No `user`: the image runs as root, and its dd-agent user (UID 100) cannot write to task
    # volumes, which Fargate mounts owned by root with mode 0755.
    if agent.readonly_root_filesystem:
        container["readonlyRootFilesystem"] = True
        mounts += [_mount(volume, path) for volume, path in AGENT_WRITABLE_VOLUMES.items()]
        container["dependsOn"] = [
            {"containerName": AGENT_INIT_CONTAINER, "condition": "SUCCESS"},
            *_log_router_dependency(task),
        ]
    if mounts:
        container["mountPoints"] = mounts
    return container


def _agent_init_container(task: TaskSpec, api_key_secret_arn: str, region: str) -> dict[str, Any]:
    """Copies the agent image's configuration into the agent-config volume, then exits."""
    assert task.agent is not None
    container: dict[str, Any] = {
        "name": AGENT_INIT_CONTAINER,
        "image": task.agent.image,
        "essential": False,
        # No cpu or memory of its own (both optional on Fargate): a share reserved for a copy
        # that ends before the agent starts would come out of the app's for the task's life.
        "command": ["cp", "-R", f"{AGENT_CONFIG_DIR}/.", _AGENT_CONFIG_COPY_DIR],
        "readonlyRootFilesystem": True,
        "mountPoints": [_mount("agent-config", _AGENT_CONFIG_COPY_DIR)],
        "logConfiguration": _log_configuration(
            task, AGENT_INIT_CONTAINER, api_key_secret_arn, region
        ),
    }
    depends_on = _log_router_dependency(task)
    if depends_on:
        container["dependsOn"] = depends_on
    return container


def _log_router_dependency(task: TaskSpec) -> list[dict[str, str]]:
    """A container shipping its logs through FireLens starts after the router. ECS adds that
    order by default (the ECS developer guide, "Send Amazon ECS logs to an AWS service or AWS
    Partner"); naming it keeps it for containers that wait on another container too."""
    if not isinstance(task.logs, DatadogLogs):
        return []
    return [{"containerName": LOG_ROUTER_CONTAINER, "condition": "START"}]


# Fargate takes custom Fluent Bit configuration only from a file in the router's container
# (botocore's ECS model, FirelensConfiguration.options), so without an image of our own it is one
# aws-for-fluent-bit ships (configs/ of aws/aws-for-fluent-bit, copied to /fluent-bit/configs/ by
# scripts/dockerfiles/build/Dockerfile.build-common for its Amazon Linux 2 and 2023 images alike).
# parse-json.conf runs the `json` parser on each record's `log` key and keeps the record's other
# keys (Reserve_Data); a record whose `log` is not JSON passes as it was (fluent/fluent-bit
# plugins/filter_parser/filter_parser.c, "re-use original data"). It is the file Datadog's ECS
# Fargate guide ("Fluent Bit and FireLens") names for serialized JSON logs, and the CDK
# construct's isParseJson (ParseJsonFirelensConfigFileValue, its PR #429 for issue #428).
PARSE_JSON_CONFIG: Final = "/fluent-bit/configs/parse-json.conf"

# FireLens adds to every router's configuration a TCP input on 127.0.0.1:8877, tagged
# firelens-healthcheck, whose records a null output discards: the health check AWS's FireLens
# examples document (aws-samples/amazon-ecs-firelens-examples, examples/fluent-bit/health-check,
# task-definition-tcp-healthcheck.json, with these timings) sends it a record. It works whatever
# configuration file the router reads; AWS's other two checks curl Fluent Bit's HTTP server, which
# only the built-in output-metrics-healthcheck.conf turns on, and a router reads one file: that
# one, or parse-json.conf. The documented command pipes the record into `nc`, which the Amazon
# Linux 2023 images of aws-for-fluent-bit 3.x do not have (their runtime packages,
# scripts/dockerfiles/runtime/Dockerfile.deps-al2023); they do have bash (the package list of
# aws/aws-for-fluent-bit PR #1026), which is /bin/sh there and opens the connection itself.
LOG_ROUTER_HEALTH_CHECK: Final = {
    "command": ["CMD-SHELL", """echo '{"health": "check"}' > /dev/tcp/127.0.0.1/8877"""],
    "interval": 10,
    "timeout": 5,
    "retries": 2,
    "startPeriod": 30,
}


def _log_router_container(task: TaskSpec, logs: DatadogLogs, region: str) -> dict[str, Any]:
    options = {"enable-ecs-log-metadata": "true"}
    if logs.parse_json:
        options |= {"config-file-type": "file", "config-file-value": PARSE_JSON_CONFIG}
    container: dict[str, Any] = {
        "name": LOG_ROUTER_CONTAINER,
        "image": logs.router_image,
        # An essential router that crashes would kill the task; losing logs for a while is better.
        "essential": False,
        "cpu": logs.router_cpu,
        "memory": logs.router_memory,
        "firelensConfiguration": {"type": "fluentbit", "options": options},
        # Non-essential, its health changes nothing in the task; it shows a router that stopped
        # taking logs in the ECS console and in DescribeTasks (AWS's health-check guide above).
        "healthCheck": dict(LOG_ROUTER_HEALTH_CHECK),
        "logConfiguration": _awslogs(task, LOG_ROUTER_CONTAINER, region),
    }
    # No `user`: FireLens runs Fluent Bit as root (aws-for-fluent-bit #713; Datadog's Terraform
    # module sets user "0"). ECS's non-root FireLens mode came with its EC2 agent 1.96.0, and no
    # source shows it on Fargate.
    if logs.router_readonly_root_filesystem:
        # The image's entrypoint only execs Fluent Bit (entrypoint.sh), which buffers in memory
        # unless told otherwise; Datadog's Terraform module runs the router read-only too (#88).
        container["readonlyRootFilesystem"] = True
    if logs.router_env:
        container["environment"] = _name_values(dict(logs.router_env))
    return container


def _cws_init_container(
    task: TaskSpec, cws: CwsInstrumentation, api_key_secret_arn: str, region: str
) -> dict[str, Any]:
    return {
        "name": CWS_INIT_CONTAINER,
        "image": cws.image,
        # It copies the tracer and exits; the app waits for it to succeed (dependsOn SUCCESS,
        # which ECS allows only on a container that is not essential).
        "essential": False,
        # Root, as in Datadog's guide, the CDK construct and the Terraform module: it writes into
        # the fresh task volume, which belongs to root.
        "user": "0",
        "command": ["/cws-instrumentation", "setup", "--cws-volume-mount", CWS_DIR],
        "mountPoints": [{"sourceVolume": CWS_VOLUME, "containerPath": CWS_DIR, "readOnly": False}],
        "logConfiguration": _log_configuration(
            task, CWS_INIT_CONTAINER, api_key_secret_arn, region
        ),
    }


def _log_configuration(
    task: TaskSpec, container: str, api_key_secret_arn: str, region: str
) -> dict[str, Any]:
    if isinstance(task.logs, CloudWatchLogs):
        return _awslogs(task, container, region)
    # The app's logs carry its service and source; a sidecar's logs are tagged with its own name.
    is_app = container == task.service
    return {
        "logDriver": "awsfirelens",
        "options": {
            "Name": "datadog",
            "Host": logs_intake_host(task.datadog_site),
            "TLS": "on",
            "compress": "gzip",
            "provider": "ecs",
            "dd_service": task.service if is_app else container,
            "dd_source": task.logs.source if is_app else container,
            "dd_message_key": "log",
            "dd_tags": ",".join(
                (f"env:{task.environment}", f"version:{task.version}", *task.datadog_tags)
            ),
        },
        "secretOptions": [{"name": "apikey", "valueFrom": api_key_value_from(api_key_secret_arn)}],
    }


def _awslogs(task: TaskSpec, container: str, region: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group_name(task),
            "awslogs-region": region,
            "awslogs-stream-prefix": container,
        },
    }


def _socket_mount() -> dict[str, Any]:
    return _mount(SOCKET_VOLUME, SOCKET_DIR)


def _mount(volume: str, path: str) -> dict[str, Any]:
    return {"sourceVolume": volume, "containerPath": path, "readOnly": False}


def _name_values(env: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in sorted(env.items())]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _rate(value: float) -> str:
    return str(float(value))
