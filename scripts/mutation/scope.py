"""What is mutated, with which operators, and which features judge each mutant.

Rule code only. Three kinds of code in the rule modules are left out, each with its reason, and are
listed as *skipped* in the session (never as killed or survived):

* **switch-only code** — statements that run only when a defect switch is on (the body of
  ``if config.has("...")``, the true branch of ``x if config.has("...") else y``, the operands of an
  ``and`` that also requires a switch, and names used nowhere else). Under the spec profile it never
  runs, so a mutant there cannot change anything; ``make verify-suite`` exercises it instead.
* **outage-only code** — ``except`` handlers of a dependency being down (broker, cluster, MongoDB,
  network): features/resilience judges those paths, not the rule features.
* **plumbing** — functions named in ``Target.out_of_scope`` (threads, OS helpers, logging), each with
  its reason;
* **annotations** — type annotations are never evaluated (``from __future__ import annotations``).

Operators are a selective set (Offutt's selective mutation): one replacement per arithmetic
operator, the boundary shift and the negation of each comparison, and the logical ones; cosmic-ray's
other replacements (shifts, bit operators, ``is`` for ``<`` ...) add many mutants that say nothing new.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

F = "features/"


@dataclass(frozen=True)
class Target:
    """One rule module: where it runs, which features judge its mutants, what is out of scope."""

    path: str
    area: str
    features: tuple[str, ...]
    server: bool = True                                   # runs in the Focus Server process (restart it)
    priorities: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> rule-id prefixes run first
    # function -> the only features that can see it (a module serving several areas); default: ``features``
    features_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    out_of_scope: dict[str, str] = field(default_factory=dict)            # function -> why it is not mutated


CONFIGURATION = (F + "configuration",)
RESPONSE = (F + "configuration/view_types.feature", F + "configuration/response_fields.feature",
            F + "configuration/response_types.feature", F + "configuration/response_status.feature",
            F + "calculations")
JOBS = (F + "jobs",)

TARGETS: tuple[Target, ...] = (
    Target("focus_sandbox/server/validation.py", "request validation", CONFIGURATION, priorities={
        "_view_type": ("configure.view-type", "configure.required-fields"),
        "_object_field": ("configure.required-fields", "configure.wrong-types"),
        "_int_field": ("configure.wrong-types", "configure.required-fields"),
        "_is_int": ("configure.wrong-types",),
        "_int_range": ("configure.wrong-types", "configure.channel-range", "configure.frequency-range"),
        "_channels": ("configure.channel-range", "configure.singlechannel", "configure.accepts-documented-edges"),
        "_height": ("configure.height",),
        "_forbidden_for_waterfall": ("configure.waterfall",),
        "_nfft": ("configure.nfft", "configure.accepts-documented-edges"),
        "_frequency": ("configure.frequency-range", "configure.accepts-documented-edges"),
        "_times": ("configure.time-window", "configure.epoch-times", "configure.historic-view", "configure.live-view"),
        "validate_configure": ("configure.duration", "configure.waterfall", "configure.required-fields"),
        "": ("recordings.epoch-times", "configure.epoch-times", "configure.window-limit"),
    }, features_of={
        # the module's constants: the epoch-time bound is the recordings query's too
        "": CONFIGURATION + (F + "recordings/time_range.feature",),
    }),
    Target("focus_sandbox/server/derive.py", "response derivation", RESPONSE, priorities={
        "channel_mapping": ("response.channels-and-streams", "configure.singlechannel", "response.waterfall-shape"),
        "channel_amount": ("response.channels-and-streams", "configure.singlechannel"),
        "frequencies": ("frequency.", "response.waterfall-shape"),
        "lines_dt": ("response.lines-dt", "response.waterfall-shape"),
        "stream_count": ("response.channels-and-streams", "response.waterfall-shape"),
    }),
    Target("focus_sandbox/server/focus_api.py", "response and routes",
           RESPONSE + (F + "configuration/input_validation.feature", F + "configuration/live_and_historic.feature",
                       F + "jobs/job_lifecycle.feature", F + "jobs/job_cleanup.feature",
                       F + "api", F + "recordings/time_range.feature", F + "metadata",
                       F + "streaming/historic_stream.feature"),
           priorities={
               "response_fields": ("response.", "frequency.", "configure.singlechannel"),
               "rejection": ("configure.",),
               "metadata": ("job.",),
               "_lookup": ("job.",),
               "cancel_job": ("job.cancel",),
               "configure": ("api.",),
               "_time_range_errors": ("recordings.",),
               "recordings_in_time_range": ("recordings.",),
               "_configure": ("configure.historic-view", "configure.live-view", "resilience.mongodb"),
               "channel_range": ("api.channel-range",),
               "live_metadata": ("metadata.",),
           },
           features_of={
               "response_fields": RESPONSE, "rejection": CONFIGURATION,
               "metadata": JOBS, "_lookup": JOBS, "cancel_job": JOBS,
               "configure": (F + "api/rate_limiting.feature",),
               "_lockout": (F + "api/rate_limiting.feature",),
               "recordings_in_time_range": (F + "recordings/time_range.feature",),
               "_time_range_errors": (F + "recordings/time_range.feature",),
               "_configure": (F + "configuration/live_and_historic.feature",
                              F + "configuration/historic_selection.feature", F + "configuration/input_validation.feature",
                              F + "streaming/historic_stream.feature", F + "resilience/mongodb_outage.feature"),
               "channel_range": (F + "api/health_and_channels.feature",),
               "live_metadata": (F + "metadata", F + "api/health_and_channels.feature"),
               "ack": (F + "api/health_and_channels.feature",),
           },
           out_of_scope={"_client": "the client address used as the rate limit's key (plumbing)"}),
    Target("focus_sandbox/server/webapp.py", "alert validation", (F + "alerts",), priorities={
        "add": ("alerts.deletion", "alerts.delete-permission"), "delete": ("alerts.deletion",),
        "list": ("alerts.deletion", "alerts.delete-permission"),
        "validate_alert": ("alerts.validation", "alerts.valid-push"),
        "_guard": ("alerts.authentication",),
        "_user": ("alerts.authentication",),
        "login": ("alerts.sign-in", "alerts.authentication", "alerts.cookie-http-only"),
        "push_to_rabbit": ("alerts.valid-push", "alerts.authentication", "capacity.alert-push-under-load"),
        "delete_alerts": ("alerts.deletion", "alerts.delete-permission"),
    }, features_of={"push_to_rabbit": (F + "alerts", F + "capacity/alert_push_load.feature")},
    out_of_scope={"_json": "decoding of the request body (plumbing shared with every route)",
                     "logout": "the sandbox's way to end a session for the signed-out-token scenarios, not a contract rule"}),
    Target("focus_sandbox/server/recordings.py", "recordings selection",
           (F + "recordings/time_range.feature", F + "configuration/live_and_historic.feature",
            F + "configuration/historic_selection.feature"),
           priorities={"_intersecting": ("recordings.time-range", "configure.historic-view"),
                       "intersecting": ("resilience.mongodb",), "__init__": ("resilience.mongodb",)},
           # how the server's MongoDB connection behaves shows only while MongoDB is down and after
           features_of={"intersecting": (F + "recordings/time_range.feature", F + "resilience/mongodb_outage.feature"),
                        "__init__": (F + "recordings/time_range.feature", F + "resilience/mongodb_outage.feature")},
           out_of_scope={"make_client": "MongoDB client timeouts (features/resilience)",
                         "ping": "MongoDB reachability (features/resilience)"}),
    Target("focus_sandbox/server/jobs.py", "job orchestration",
           JOBS + (F + "streaming/live_stream.feature", F + "streaming/historic_stream.feature"), priorities={
        "create": ("job.ready", "response.stream-port-type", "capacity.required"),
        "_reserve_port": ("capacity.required",),
        "readiness": ("job.ready",), "cancel": ("job.cancel",),
        "stream_groups": ("stream.",), "_grpc_job": ("stream.", "job."),
        "reap_once": ("job.idle-timeout", "job.crash-cleanup"), "_new_job_id": ("job.id-never-reused",),
    }, features_of={"create": JOBS + (F + "configuration/response_types.feature",
                                      F + "streaming/live_stream.feature", F + "streaming/historic_stream.feature",
                                      F + "capacity/concurrent_jobs.feature"),
                    # a port handed out twice shows only when jobs start close together (the capacity steps)
                    "_reserve_port": JOBS + (F + "capacity/concurrent_jobs.feature",)},
    out_of_scope={
        "run_reaper": "the reaper thread's loop (reap_once is mutated)",
        "stop": "stops the reaper thread at shutdown",
        "_rollback": "undoes a half-created job when a dependency fails (features/resilience)",
        "port_free": "asks the OS whether a port is bound (plumbing)",
        "_env": "the pods' PYTHONPATH (plumbing)",
    }),
    Target("focus_sandbox/pods/janitor.py", "job cleanup", JOBS, server=False, priorities={
        "main": ("job.",), "finished": ("job.crash-cleanup", "job.idle-timeout"),
    }, out_of_scope={"log": "the pod log's line format"}),
    Target("focus_sandbox/server/ratelimit.py", "rate limiting", (F + "api/rate_limiting.feature",)),
)


def target_of(path: str) -> Target:
    """The target whose module is ``path``."""
    return next(t for t in TARGETS if t.path == path)


_ARITHMETIC = ("Add_Sub", "Sub_Add", "Mul_Div", "Div_Mul", "FloorDiv_Div", "Mod_FloorDiv", "Pow_Mul",
               "BitAnd_BitOr", "BitOr_BitAnd")
_COMPARISON = ("Eq_NotEq", "NotEq_Eq", "Lt_LtE", "Lt_GtE", "LtE_Lt", "LtE_Gt", "Gt_GtE", "Gt_LtE",
               "GtE_Gt", "GtE_Lt", "Is_IsNot", "IsNot_Is", "In_NotIn", "NotIn_In")
OPERATORS: frozenset[str] = frozenset(
    [f"core/ReplaceBinaryOperator_{o}" for o in _ARITHMETIC]
    + [f"core/ReplaceComparisonOperator_{o}" for o in _COMPARISON]
    + ["core/ReplaceUnaryOperator_USub_UAdd", "core/ReplaceUnaryOperator_Delete_Not", "core/AddNot",
       "core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue", "core/ReplaceAndWithOr",
       "core/ReplaceOrWithAnd", "core/ReplaceBreakWithContinue", "core/ReplaceContinueWithBreak",
       "core/NumberReplacer", "core/RemoveDecorator", "core/ZeroIterationForLoop"])
OPERATOR_REASON = "operator outside the selective set (scripts/mutation/scope.py OPERATORS)"

# Exceptions that mean "a dependency is down": their handlers are outage paths.
OUTAGE_EXCEPTIONS = frozenset({"BrokerError", "KubeError", "MongoUnavailable", "Unavailable", "OSError",
                               "PyMongoError", "AMQPError", "URLError", "TimeoutExpired", "BlockingIOError"})

Span = tuple[tuple[int, int], tuple[int, int]]   # ((line, col), (end line, end col)), cosmic-ray's positions


def _span(node: ast.AST) -> Span:
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _is_switch_call(node: ast.AST) -> bool:
    """``config.has("...")``, ``self.config.has("...")`` or a local ``has("...")``."""
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "has") or (isinstance(func, ast.Name) and func.id == "has")


def _switch_test(test: ast.AST) -> str | None:
    """'on' when the test can be true only with a switch on, 'off' when only with it off, else None."""
    if _is_switch_call(test):
        return "on"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_switch_call(test.operand):
        return "off"
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(_is_switch_call(v) for v in test.values):
        return "on"
    return None


class _Spans(ast.NodeVisitor):
    """Spans of switch-only code (see the module docstring), of outage handlers and of annotations."""

    def __init__(self) -> None:
        self.switch: list[Span] = []
        self.outage: list[Span] = []
        self.annotations: list[Span] = []

    def generic_visit(self, node: ast.AST) -> None:
        # ``if not config.has(x): return ...`` - what follows in the block runs only with the switch on
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block):
                if (isinstance(stmt, ast.If) and _switch_test(stmt.test) == "off" and stmt.body
                        and isinstance(stmt.body[-1], (ast.Return, ast.Raise))):
                    self._stmts(block[i + 1:])
                    break
        super().generic_visit(node)

    def _annotate(self, node: ast.AST | None) -> None:
        if node is not None:
            self.annotations.append(_span(node))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            self._annotate(getattr(arg, "annotation", None))
        self._annotate(node.returns)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._annotate(node.annotation)
        self.generic_visit(node)

    def _stmts(self, body: list[ast.stmt]) -> None:
        self.switch += [_span(s) for s in body]

    def visit_If(self, node: ast.If) -> None:
        kind = _switch_test(node.test)
        if kind == "on":
            self._stmts(node.body)
            self._and_operands(node.test)
        elif kind == "off":
            self._stmts(node.orelse)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        kind = _switch_test(node.test)
        if kind == "on":
            self.switch.append(_span(node.body))
            self._and_operands(node.test)
        elif kind == "off":
            self.switch.append(_span(node.orelse))
        self.generic_visit(node)

    def _and_operands(self, test: ast.AST) -> None:
        """In ``a and config.has(x)`` the value of ``a`` matters only with the switch on."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            self.switch += [_span(v) for v in test.values if not _is_switch_call(v)]

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        """``a and config.has(x)`` anywhere (also nested in an ``or``): ``a`` matters only with the switch on."""
        if isinstance(node.op, ast.And) and any(_is_switch_call(v) for v in node.values):
            self._and_operands(node)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in ast.walk(node.type)} \
            if node.type is not None else set()
        if names & OUTAGE_EXCEPTIONS:
            self.outage += [_span(s) for s in node.body]
        self.generic_visit(node)


def _inside(pos: tuple[int, int], spans: list[Span]) -> bool:
    return any(start <= pos and pos < end or start == pos for start, end in spans)


def _definitions(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """Module-level (and class-level) functions, classes and assigned names -> their nodes."""
    found: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.decorator_list:  # routes are registered by their decorator, not by name
                found.setdefault(node.name, []).append(node)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found.setdefault(node.targets[0].id, []).append(node.value)
    return found


def _references(tree: ast.Module, name: str) -> list[Span]:
    refs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            refs.append(_span(node))
        elif isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.ctx, ast.Load):
            refs.append(_span(node))
    return refs


@dataclass(frozen=True)
class ModuleMap:
    """Where in one module mutants are switch-only, outage-only or in an annotation."""

    switch: tuple[Span, ...]
    outage: tuple[Span, ...]
    annotations: tuple[Span, ...] = ()

    def reason(self, pos: tuple[int, int]) -> str | None:
        if _inside(pos, list(self.annotations)):
            return "annotation: never evaluated (from __future__ import annotations)"
        if _inside(pos, list(self.switch)):
            return "switch-only code: runs only with a defect switch on (make verify-suite exercises it)"
        if _inside(pos, list(self.outage)):
            return "outage-only code: runs only while a dependency is down (features/resilience)"
        return None


def module_map(source: str) -> ModuleMap:
    """Switch-only and outage-only spans of a module's source."""
    tree = ast.parse(source)
    spans = _Spans()
    spans.visit(tree)
    switch = list(spans.switch)
    # names (helpers, constants, classes) referenced only from switch-only code are switch-only too
    definitions = _definitions(tree)
    changed = True
    done: set[str] = set()
    while changed:
        changed = False
        for name, nodes in definitions.items():
            if name in done:
                continue
            refs = _references(tree, name)
            if refs and all(_inside(r[0], switch) for r in refs):
                switch += [_span(n) for n in nodes]
                done.add(name)
                changed = True
    return ModuleMap(tuple(switch), tuple(spans.outage), tuple(spans.annotations))


def skip_reason(target: Target, mmap: ModuleMap, operator: str, definition: str | None,
                pos: tuple[int, int]) -> str | None:
    """Why a mutant is not run, or None when it is in scope."""
    if operator not in OPERATORS:
        return OPERATOR_REASON
    if definition in target.out_of_scope:
        return f"out of scope: {definition} — {target.out_of_scope[definition]}"
    return mmap.reason(pos)


def read_map(root: Path, target: Target) -> ModuleMap:
    return module_map((root / target.path).read_text(encoding="utf-8"))
