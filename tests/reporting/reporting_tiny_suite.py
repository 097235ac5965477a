"""Build and run tiny behave projects in a temp dir, wired like the real suite (behave.ini + hooks)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BEHAVE_INI = """\
[behave]
format = focus_support.reporting.formatter:FocusAllureFormatter
outfiles = reports/allure-results
show_skipped = false
{extra}
[behave.userdata]
issue_url_pattern = https://tracker.example/issues/{{id}}
env = tiny
"""

STEPS = '''
from behave import step
from behave.api.pending_step import StepNotImplementedError
from focus_support.errors import UnreachableError, ThrottledError

@step("it works")
def works(context):
    pass

@step("the product answers {actual:d} instead of {expected:d}")
def product_wrong(context, actual, expected):
    assert actual == expected, f"expected {expected}, got {actual}"

@step("the product leaves {kinds} behind")
def leaves(context, kinds):
    from focus_support.verdict import fail
    raise fail(f"expected every resource gone; left: {kinds}", "job.resources", "gone", kinds.split(","))


@step("the user presses Ctrl-C")
def interrupt(context):
    raise KeyboardInterrupt


@step("the server cannot be reached")
def unreachable(context):
    raise UnreachableError("Focus Server at http://127.0.0.1:9/ refused the connection")

@step("the server keeps throttling")
def throttled(context):
    raise ThrottledError("POST /configure answered 429 five times")

@step("the step code has a bug")
def code_bug(context):
    {}["missing"]

@step("it is not written yet")
def pending(context):
    raise StepNotImplementedError("waiting for the spec")
'''

HOOKS = '''
from focus_support.reporting import hooks as reporting_hooks
from focus_support.reporting.hooks import visible_hook
from focus_support.errors import UnreachableError


@visible_hook
def before_all(context):
    reporting_hooks.before_all(context)


@visible_hook
def before_scenario(context, scenario):
    if "destructive" in scenario.tags:
        scenario.skip("destructive scenarios are not allowed in this environment")
    if "broken_setup" in scenario.tags:
        raise UnreachableError("kubernetes API at http://127.0.0.1:9 is unreachable")


@visible_hook
def after_scenario(context, scenario):
    if "broken_cleanup" in scenario.tags:
        raise RuntimeError("cleanup could not delete job 1-2")


def after_step(context, step):
    reporting_hooks.after_step(context, step)
'''


@dataclass
class TinyRun:
    """The outcome of one tiny behave run."""

    root: Path
    returncode: int
    output: str

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def results_dir(self) -> Path:
        return self.reports / "allure-results"

    def results(self) -> dict[str, dict]:
        """Allure test results by scenario name."""
        out = {}
        for path in self.results_dir.glob("*-result.json"):
            doc = json.loads(path.read_text())
            out[doc["name"]] = doc
        return out

    def containers(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in self.results_dir.glob("*-container.json")]

    def records(self) -> dict[str, dict]:
        doc = json.loads((self.reports / "run-results.json").read_text())
        return {r["scenario"]: r for r in doc["records"]}


def make_project(root: Path, features: dict[str, str], steps: str = STEPS, hooks: str = HOOKS,
                 ini_extra: str = "") -> Path:
    """Write features (relative path -> text), steps, hooks and behave.ini under ``root``."""
    for rel, text in features.items():
        path = root / "features" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "features" / "steps").mkdir(parents=True, exist_ok=True)
    (root / "features" / "steps" / "steps.py").write_text(textwrap.dedent(steps))
    (root / "features" / "environment.py").write_text(textwrap.dedent(hooks))
    (root / "behave.ini").write_text(BEHAVE_INI.format(extra=ini_extra))
    return root


def run_behave(root: Path, *args: str, env: dict[str, str] | None = None, timeout_s: float = 120,
               capture: bool = False) -> TinyRun:
    """Run behave on the project in a child process (so Allure's plugin registry is fresh)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "JENKINS"))}
    environ.update({"PYTHONPATH": str(REPO), "CI": ""})
    environ.update(env or {})
    done = subprocess.run([sys.executable, "-m", "behave", *([] if capture else ["--no-capture"]), *args, "features"], cwd=root,
                          env=environ, capture_output=True, text=True, timeout=timeout_s)
    return TinyRun(root, done.returncode, done.stdout + done.stderr)
