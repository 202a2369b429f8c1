"""Run a Pulumi program offline: a recording mock engine with realistic answers.

The plan command and the tests share this engine, so what a test asserts on is exactly what the
plan shows. Each registered resource is recorded as the engine receives it (wire form, camelCase)
with secret values masked, and validated against the real schemas in `stacks.validation`.
"""

import asyncio
import base64
import concurrent.futures
import hashlib
import heapq
import logging
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import provider_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from components.datadog_ids import IdKind, id_like
from components.problems import Problem, errors
from components.versions import DEFAULT_KUBERNETES_VERSION
from components.wire import whole_numbers_as_int
from stacks.validation.monitors import MONITOR_TYPE
from stacks.validation.resources import HELM_RELEASE_TYPE, resource_problems
from stacks.validation.slos import SLO_TYPE, slo_alert_problems

PROJECT: Final = "observability"
ALIAS_SPECS_FEATURE: Final = resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS
ACCOUNT_ID: Final = "123456789012"
SECRET_MASK: Final = "[secret]"
_DATADOG_ID_KINDS: Final[dict[str, IdKind]] = {
    "datadog:index/monitor:Monitor": "monitor",
    "datadog:index/serviceLevelObjective:ServiceLevelObjective": "slo",
}
STACK_REFERENCE_TYPE: Final = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class StackOutputs:
    """A stack's exported outputs, as a stack reference to it reads them."""

    outputs: Mapping[str, Any]
    """By name; a secret's value is the mask (offline plans never hold a real one)."""
    secret_names: frozenset[str] = frozenset()
    """The outputs that are secrets."""


@dataclass(frozen=True)
class RecordedResource:
    """One registration as the engine received it, secrets masked."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    protect: bool
    inputs: dict[str, Any]
    provider: str | None = None
    """URN of the explicit provider; None for components and the default provider."""
    dependencies: tuple[str, ...] = ()
    """URNs the registration waits for (depends_on and inputs from other resources), sorted."""
    aliases: tuple[str, ...] = ()
    """Earlier URNs of this resource (its `aliases` option, resolved), sorted."""
    ignore_changes: tuple[str, ...] = ()
    """Inputs whose changes Pulumi does not apply once the resource exists (its
    `ignore_changes` option), sorted."""

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "protect": self.protect,
            "inputs": self.inputs,
            "provider": self.provider,
            "dependencies": list(self.dependencies),
            "aliases": list(self.aliases),
            "ignoreChanges": list(self.ignore_changes),
        }


class ResourceValidationError(Exception):
    """Raised at registration in strict mode, so the test or plan that registered it fails."""


class UnresolvedStackReferenceError(Exception):
    """A stack reference to a stack whose outputs the run was not given."""


@dataclass
class ProgramRun:
    """What one offline run of a program registered, exported and said."""

    resources: list[RecordedResource] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    """What the schemas and the project's rules reject in the registered resources, and what
    they warn of, by URN. A strict run raises on the first error, so it holds warnings only."""
    messages: list[str] = field(default_factory=list)
    """What the program logged (`pulumi.log`), as the CLI prints it: `info: ...`."""
    secret_output_names: frozenset[str] = frozenset()
    """The stack outputs that are secrets (their values are masked in `stack_outputs`)."""

    def exported(self) -> StackOutputs:
        """What a stack reference to this stack reads."""
        return StackOutputs(dict(self.stack_outputs), self.secret_output_names)

    def by_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]


def causal_order(resources: list[RecordedResource]) -> list[RecordedResource]:
    """The resources in a registration order Pulumi could produce, the same on every run.

    The SDK registers concurrently, so the order it happens to use varies between runs. This
    keeps what Pulumi guarantees (a resource after its parent, its provider and what it depends
    on) and breaks ties by name, so plans and their diffs do not churn.
    """
    by_urn = {r.urn: r for r in resources}
    waiting = {
        r.urn: {u for u in (r.parent, r.provider, *r.dependencies) if u in by_urn and u != r.urn}
        for r in resources
    }
    dependents: dict[str, list[str]] = {}
    for urn, prerequisites in waiting.items():
        for prerequisite in prerequisites:
            dependents.setdefault(prerequisite, []).append(urn)
    ready = [(by_urn[u].name, u) for u, prerequisites in waiting.items() if not prerequisites]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for dependent in dependents.get(urn, []):
            waiting[dependent].discard(urn)
            if not waiting[dependent]:
                heapq.heappush(ready, (by_urn[dependent].name, dependent))
    if len(ordered) != len(resources):
        raise ValueError("the recorded resources wait on each other in a cycle")
    return ordered


def with_inherited_aliases(resources: list[RecordedResource]) -> list[RecordedResource]:
    """Each resource with the aliases it inherits from its parent's, as the engine derives them.

    A child of a renamed or moved component has an earlier URN too: its parent's old type chain,
    and its name with the parent's old name as prefix. The SDK leaves this to the engine.
    Expects `resources` in causal order (parents first).
    """
    by_urn: dict[str, RecordedResource] = {}
    result = []
    for recorded in resources:
        parent = by_urn.get(recorded.parent or "")
        inherited = (
            [_inherited_alias(recorded, parent, a) for a in parent.aliases] if parent else []
        )
        resource = (
            replace(recorded, aliases=tuple(sorted({*recorded.aliases, *inherited})))
            if inherited
            else recorded
        )
        by_urn[resource.urn] = resource
        result.append(resource)
    return result


def _inherited_alias(child: RecordedResource, parent: RecordedResource, parent_alias: str) -> str:
    prefix, qualified_parent_type, parent_alias_name = parent_alias.rsplit("::", 2)
    name = child.name
    if name.startswith(parent.name):
        name = parent_alias_name + name[len(parent.name) :]
    return f"{prefix}::{qualified_parent_type}${child.type}::{name}"


def mask_secrets(value: Any) -> Any:
    """The value with every secret replaced by the mask."""
    if rpc.is_rpc_secret(value):
        return SECRET_MASK
    if isinstance(value, dict):
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def unwrap_secrets(value: Any) -> Any:
    """The value with secrets unwrapped, for validators that must see real payloads."""
    if rpc.is_rpc_secret(value):
        return unwrap_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class OfflineMocks(mocks.Mocks):
    """Answers the provider would give, shaped like AWS's, for one account and region."""

    def __init__(self, region: str, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> None:
        self.region = region
        self.kubernetes_version = kubernetes_version

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        answers: dict[str, Callable[[], dict[str, Any]]] = {
            "aws:index/getRegion:getRegion": lambda: {
                "id": self.region,
                "name": self.region,
                "region": self.region,
                "description": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
            },
            "aws:index/getPartition:getPartition": lambda: {
                "id": "aws",
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            },
            "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN00000",
            },
            "aws:eks/getCluster:getCluster": lambda: self._eks_cluster(str(args.args["name"])),
        }
        answer = answers.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the offline engine has no answer for invoke {args.token}; add one to "
                "stacks/tooling/engine.py so that the plan stays realistic"
            )
        return answer(), []

    def _eks_cluster(self, name: str) -> dict[str, Any]:
        """An existing cluster running the stack's Kubernetes version."""
        arn = f"arn:aws:eks:{self.region}:{ACCOUNT_ID}:cluster/{name}"
        endpoint_id = _short_hash(arn, 32).upper()
        certificate = f"-----BEGIN CERTIFICATE-----\noffline {arn}\n-----END CERTIFICATE-----\n"
        return {
            "id": name,
            "name": name,
            "arn": arn,
            "endpoint": f"https://{endpoint_id}.gr7.{self.region}.eks.amazonaws.com",
            "certificateAuthorities": [{"data": base64.b64encode(certificate.encode()).decode()}],
            "version": self.kubernetes_version,
            "platformVersion": "eks.20",
            "status": "ACTIVE",
            "region": self.region,
            "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}-cluster",
            "createdAt": "2025-03-04T09:15:00Z",
            "identities": [
                {
                    "oidcs": [
                        {"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{endpoint_id}"}
                    ]
                }
            ],
            "accessConfigs": [
                {
                    "authenticationMode": "API_AND_CONFIG_MAP",
                    "bootstrapClusterCreatorAdminPermissions": True,
                }
            ],
            "kubernetesNetworkConfigs": [
                {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16", "serviceIpv6Cidr": ""}
            ],
            "vpcConfig": {
                "clusterSecurityGroupId": "sg-0e1f2a3b4c5d6e7f8",
                "endpointPrivateAccess": True,
                "endpointPublicAccess": False,
                "publicAccessCidrs": [],
                "securityGroupIds": [],
                "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"],
                "vpcId": "vpc-0123456789abcdef0",
            },
            "enabledClusterLogTypes": ["api", "audit", "authenticator"],
            "tags": {},
        }

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith("kubernetes:"):
            return self._kubernetes_object(args), {**args.inputs}
        inputs = args.inputs
        physical = (
            inputs.get("name") or inputs.get("family") or f"{args.name}-{_short_hash(args.name, 7)}"
        )
        arn = self._arn(args.typ, physical, inputs)
        state = {**inputs}
        resource_id = physical
        if arn is not None:
            state["arn"] = arn
            resource_id = (
                arn if args.typ.startswith(("aws:secretsmanager", "aws:ecs/service")) else physical
            )
        if args.typ in _DATADOG_ID_KINDS:
            # Composites and SLO alerts write these ids into their queries.
            resource_id = id_like(_DATADOG_ID_KINDS[args.typ], args.name)
        if args.typ == "aws:kms/key:Key":
            resource_id = state["keyId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, args.name))
            state["arn"] = f"arn:aws:kms:{self.region}:{ACCOUNT_ID}:key/{resource_id}"
        if args.typ == "aws:ecs/taskDefinition:TaskDefinition":
            state["revision"] = 1
            state["arnWithoutRevision"] = arn.rsplit(":", 1)[0] if arn else None
        if "name" not in state and args.typ.startswith("aws:"):
            state["name"] = physical
        return resource_id, state

    @staticmethod
    def _kubernetes_object(args: mocks.MockResourceArgs) -> str:
        """The provider's id of an object: `namespace/name`, or `name` when cluster-scoped."""
        if args.typ == HELM_RELEASE_TYPE:
            return f"{args.inputs.get('namespace', 'default')}/{args.inputs.get('name', args.name)}"
        metadata = args.inputs.get("metadata") or {}
        name = metadata.get("name") or f"{args.name}-{_short_hash(args.name, 8)}"
        namespace = metadata.get("namespace")
        return f"{namespace}/{name}" if namespace else str(name)

    def _arn(self, type_: str, physical: str, inputs: Mapping[str, Any]) -> str | None:
        prefix = f"arn:aws:{{}}:{self.region}:{ACCOUNT_ID}"
        templates = {
            "aws:secretsmanager/secret:Secret": (
                f"{prefix.format('secretsmanager')}:secret:{physical}-{_short_hash(physical, 6)}"
            ),
            "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}",
            "aws:iam/policy:Policy": f"arn:aws:iam::{ACCOUNT_ID}:policy/{physical}",
            "aws:cloudwatch/logGroup:LogGroup": f"{prefix.format('logs')}:log-group:{physical}",
            "aws:ecs/taskDefinition:TaskDefinition": (
                f"{prefix.format('ecs')}:task-definition/{physical}:1"
            ),
            "aws:ecs/service:Service": (
                f"{prefix.format('ecs')}:service/"
                f"{str(inputs.get('cluster', '')).rsplit('/', 1)[-1]}/{physical}"
            ),
            "aws:kms/alias:Alias": f"{prefix.format('kms')}:{physical}",
        }
        return templates.get(type_)


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, keeping what it is told: parent, protect, secrets, order."""

    def __init__(
        self,
        mocks_: OfflineMocks,
        run: ProgramRun,
        *,
        strict: bool,
        stack_outputs: Mapping[str, StackOutputs] | None = None,
    ) -> None:
        super().__init__(mocks_)
        self.offline_mocks = mocks_
        self.run = run
        self.strict = strict
        self.stack_outputs = dict(stack_outputs or {})
        self._claimed: set[str] = set()
        self._slos: dict[str, dict[str, Any]] = {}
        """The SLOs registered so far by id, which SLO alerts are checked against."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of a resource's type chain; the SDK's mock puts it
        # in, which would make every recorded URN (and alias comparison) differ from real state.
        return super().make_urn("" if _is_root(parent) else parent, type_, name)

    def GetDeploymentInfo(self, request: Any) -> Any:
        # Without alias specs the SDK resolves every alias to a full URN itself, which is what a
        # check of URN stability needs to compare.
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
        features = [f for f in info.supportedFeatures if f != ALIAS_SPECS_FEATURE]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def Invoke(self, request: Any) -> Any:
        # The SDK's mock answers through `_sync_await`, which pumps the event loop that is already
        # running this call (see `_InlineExecutor`); the answers are plain values, settled at once.
        answer, failures = self.offline_mocks.call(
            mocks.MockCallArgs(
                token=request.tok,
                args=rpc.deserialize_properties(request.args),
                provider=request.provider,
            )
        )
        return resource_pb2.ResourceInvokeResponse(
            failures=[provider_pb2.CheckFailure(property=key, reason=why) for key, why in failures],
            **{"return": _settled(rpc.serialize_properties(answer, {}))},
        )

    def ReadResource(self, request: Any) -> Any:
        if request.type != STACK_REFERENCE_TYPE:
            return super().ReadResource(request)  # type: ignore[no-untyped-call]
        return self._read_stack_reference(request)

    def _read_stack_reference(self, request: Any) -> Any:
        """What Pulumi's builtin provider reads for a `pulumi.StackReference` (its id is the
        referenced stack's name): the stack's outputs, secrets as secrets, and the names of the
        secret ones (readStackReference in pkg/resource/deploy/builtins.go, pulumi/pulumi at
        1b5949891b)."""
        name = request.id
        referenced = self.stack_outputs.get(name)
        if referenced is None:
            known = ", ".join(sorted(self.stack_outputs)) or "none"
            raise UnresolvedStackReferenceError(
                f"the program references the stack {name}, whose outputs the offline engine was "
                f"not given (it has those of: {known})"
            )
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self._claimed:
            raise ResourceValidationError(f"{urn}: registered twice; URNs must be unique")
        self._claimed.add(urn)
        outputs = {
            key: {rpc._special_sig_key: rpc._special_secret_sig, "value": value}
            if key in referenced.secret_names
            else value
            for key, value in referenced.outputs.items()
        }
        state = {
            "name": name,
            "outputs": outputs,
            "secretOutputNames": sorted(referenced.secret_names & set(referenced.outputs)),
        }
        parent = None if _is_root(request.parent) else request.parent
        self.run.resources.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=parent,
                custom=True,
                protect=False,
                inputs={"name": name},
                dependencies=tuple(sorted(request.dependencies)),
            )
        )
        properties = _settled(rpc.serialize_properties(state, {}))
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, name, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=properties)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if urn in self._claimed:
            # As the engine would: it refuses a second resource with the same URN.
            raise ResourceValidationError(f"{urn}: registered twice; URNs must be unique")
        self._claimed.add(urn)
        wire_inputs = whole_numbers_as_int(rpc.deserialize_properties(request.object))
        plain_inputs = unwrap_secrets(wire_inputs)
        problems = resource_problems(
            request.type, plain_inputs, kubernetes_version=self.offline_mocks.kubernetes_version
        )
        if request.type == MONITOR_TYPE and plain_inputs.get("type") == "slo alert":
            problems += slo_alert_problems(str(plain_inputs.get("query")), self._slos)
        problems = [*_provider_problems(request), *problems]
        refused = errors(problems)
        if refused and self.strict:
            raise ResourceValidationError(f"{urn}: " + "; ".join(str(p) for p in refused))
        if problems:
            self.run.problems[urn] = problems
        resource_id, state = self.offline_mocks.new_resource(
            mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=wire_inputs,
                provider=request.provider,
                resource_id=request.importId,
                custom=request.custom or False,
            )
        )
        parent = None if _is_root(request.parent) else request.parent
        self.run.resources.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                inputs=mask_secrets(wire_inputs),
                provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                dependencies=tuple(sorted(request.dependencies)),
                aliases=tuple(sorted(request.aliasURNs)),
                ignore_changes=tuple(sorted(request.ignoreChanges)),
            )
        )
        if request.type == SLO_TYPE:
            self._slos[resource_id] = plain_inputs
        state_proto = _settled(rpc.serialize_properties(state, {}))
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state_proto)


Result = TypeVar("Result")


def _settled(coroutine: Coroutine[Any, Any, Result]) -> Result:
    """The result of a coroutine that finishes without waiting for anything.

    Serializing plain values, as the engine's answers are, awaits only other coroutines; one
    that had to wait would wait for the event loop this very call holds, and is refused.
    """
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the offline engine's answer waited for an unresolved value")


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs every call the SDK hands to the event loop's executor at once, on the loop's thread.

    The SDK sends each RPC from a worker thread so that waiting for a real engine's gRPC answer
    does not stall the event loop. The recording engine answers in process, in Python, and
    under the GIL a worker thread only takes turns with the event loop: every registration
    handed over and back cost a thread switch, and the checks ran no faster for it.
    """

    def submit(
        self, fn: Callable[..., Result], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Result]:
        future: concurrent.futures.Future[Result] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # as a worker thread would: the caller awaits it
            future.set_exception(error)
        return future


def _is_root(parent: str) -> bool:
    """Whether a parent is the stack itself (or none): the resource is top level."""
    return not parent or "::pulumi:pulumi:Stack::" in parent


def _provider_problems(request: Any) -> list[Problem]:
    if request.type.startswith("kubernetes:") and request.custom and not request.provider:
        return [
            Problem(
                "provider",
                "uses the default Kubernetes provider, i.e. whatever cluster the shell's "
                "kubeconfig points at; give it (or its parent component) the stack's cluster "
                "provider",
            )
        ]
    return []


class _MessageRecorder(logging.Handler):
    """Keeps what the program logs through `pulumi.log`, which the mock engine hands to a logger."""

    def __init__(self, run: ProgramRun) -> None:
        super().__init__()
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        self.run.messages.append(f"{record.levelname.lower()}: {record.getMessage()}")


def _program_logger(run: ProgramRun) -> logging.Logger:
    # A logger of its own, outside the logging tree: the run's messages reach no other handler.
    # INFO and up, as the CLI shows by default: the SDK logs each registration at DEBUG.
    logger = logging.Logger("offline-program", logging.INFO)
    logger.addHandler(_MessageRecorder(run))
    return logger


@contextmanager
def offline_engine(
    *,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: tuple[str, ...] = (),
    strict: bool = True,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    stack_outputs: Mapping[str, StackOutputs] | None = None,
) -> Iterator[ProgramRun]:
    """Install the recording engine for one program run; yields what the run records.

    Each run gets its own event loop, root stack and config, so several programs can run in one
    process (the SDK otherwise keeps one root stack per process). Kubernetes objects are validated
    against `kubernetes_version`, which is also the version of every EKS cluster looked up.
    `stack_outputs` answers the program's stack references, by fully qualified stack name.
    """
    config = dict(config or {})
    run = ProgramRun()
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_InlineExecutor())
    asyncio.set_event_loop(loop)
    capture_stack = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = _no_stack_trace
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_all_config(config, list(secret_keys))
        engine_mocks = OfflineMocks(config.get("aws:region", "us-east-1"), kubernetes_version)
        pulumi.runtime.set_mocks(
            engine_mocks,
            project=PROJECT,
            stack=stack,
            preview=False,
            logger=_program_logger(run),
            monitor=RecordingMonitor(engine_mocks, run, strict=strict, stack_outputs=stack_outputs),
        )
        yield run
    finally:
        sdk_resource._get_stack_trace = capture_stack
        _close(loop)


def _no_stack_trace() -> source_pb2.StackTrace:
    """The stack the SDK sends with a registration when it finds no caller: none.

    For every registration the SDK walks the Python stack, reads each frame's source line and
    turns its file name into a URI, so that a real engine can say where a resource was created;
    the recording engine keeps none of it, and the walk cost more than any one of its checks.
    """
    return source_pb2.StackTrace()


def run_program(
    program: Callable[[], object],
    *,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: tuple[str, ...] = (),
    strict: bool = True,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    stack_outputs: Mapping[str, StackOutputs] | None = None,
) -> ProgramRun:
    """Run `program` under the recording engine and return what it registered and exported.

    It runs as the language host runs `__main__.py`: in the root stack, then the entry point it
    gave `pulumi.run`, if any (`stack_outputs` as in `offline_engine`)."""

    # The root stack lives in the context of the task that runs the program; its outputs are
    # read once the program (and its `pulumi.run` entry point) is done.
    roots: list[object] = []

    def run_discarding_result() -> None:
        roots.append(settings.get_root_resource())
        program()

    with offline_engine(
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        strict=strict,
        kubernetes_version=kubernetes_version,
        stack_outputs=stack_outputs,
    ) as run:
        # The SDK's mocks install a root stack that is already finished, which `pulumi.run`
        # refuses; the language host's own root stack, as `pulumi up` has it, replaces it.
        settings.ROOT.set(None)
        _sync_await(run_in_stack(run_discarding_result))
        outputs, secret_names = _sync_await(_resolved_stack_outputs(roots[0]))
        run.stack_outputs, run.secret_output_names = outputs, secret_names
    run.resources[:] = with_inherited_aliases(causal_order(run.resources))
    return run


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Leave no task, RPC or root stack behind for the next run in this process."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    # A failed run leaves registrations that raised behind; their errors were already reported.
    loop.set_exception_handler(lambda _loop, _context: None)
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    settings.ROOT.set(None)
    asyncio.set_event_loop(None)
    loop.close()


async def _resolved_stack_outputs(root: object) -> tuple[dict[str, Any], frozenset[str]]:
    """The root stack's outputs, secrets masked, and the names of the secret ones."""
    outputs: dict[str, Any] = getattr(root, "outputs", {}) or {}
    resolved = {}
    secret = set()
    for key, value in outputs.items():
        output = pulumi.Output.from_input(value)
        plain = await output.future()
        if await output.is_secret():
            secret.add(key)
        resolved[key] = SECRET_MASK if key in secret else plain
    return resolved, frozenset(secret)
