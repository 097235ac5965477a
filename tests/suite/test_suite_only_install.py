"""The suite runs where only Python and pip are (the product team's Windows CI runners), issue 13.

Guards of that path, without leaving this machine:
- requirements-suite.txt lists exactly the distributions the suite's code imports (focus_support,
  steps, environment.py, focus_datastream), pinned as in requirements.txt; the suite never imports
  the sandbox or the scripts, whose dependencies are not installed there;
- no POSIX-only call in that code (process groups, POSIX signals, fcntl/pwd/grp/termios, forks,
  shell=True, absolute POSIX paths such as /tmp).
The path itself (a fresh venv, the rehearsal) is exercised by scripts/rehearse_suite_only.py.
"""
from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE_CODE = ["focus_support", "steps", "environment.py", "focus_datastream"]
NOT_IMPORTED_BY_THE_SUITE = {"focus_datastream/generate.py"}  # regenerates the stubs (grpcio-tools), by hand
FIRST_PARTY = {"focus_support", "focus_datastream", "steps"}
FORBIDDEN_FIRST_PARTY = {"focus_sandbox", "scripts", "benchmarks", "tests"}


def _suite_files() -> list[Path]:
    files: list[Path] = []
    for entry in SUITE_CODE:
        path = REPO / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if f.relative_to(REPO).as_posix() not in NOT_IMPORTED_BY_THE_SUITE]


def _imports() -> dict[str, set[str]]:
    """Top-level module imported -> files importing it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for file in _suite_files():
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(file.relative_to(REPO).as_posix())
    return found


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_canonical(name)] = version.strip()
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requires(distribution: str, seen: set[str]) -> set[str]:
    """A distribution and, recursively, what it requires (unconditional requirements only)."""
    name = _canonical(distribution)
    if name in seen:
        return seen
    seen.add(name)
    for requirement in metadata.requires(distribution) or []:
        if ";" in requirement and "extra ==" in requirement:
            continue
        dependency = re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0]
        try:
            _requires(dependency, seen)
        except metadata.PackageNotFoundError:
            continue  # a platform-only requirement not installed here
    return seen


def test_the_suite_never_imports_the_sandbox_or_the_scripts():
    imported = _imports()
    offenders = {m: sorted(files) for m, files in imported.items() if m in FORBIDDEN_FIRST_PARTY}
    assert not offenders, f"the suite-only install has none of these modules' dependencies: {offenders}"


def test_requirements_suite_lists_exactly_what_the_suite_imports():
    distributions = metadata.packages_distributions()
    imported = _imports()
    third_party = {m: files for m, files in imported.items()
                   if m not in sys.stdlib_module_names and m not in FIRST_PARTY and m != "__future__"}
    unknown = sorted(m for m in third_party if m not in distributions)
    assert not unknown, f"imported modules no installed distribution provides: {unknown}"
    needed = {_canonical(d) for m in third_party for d in distributions[m]}
    listed = set(_pins(REPO / "requirements-suite.txt"))
    provided: set[str] = set()
    for name in listed:
        _requires(name, provided)
    missing = sorted(needed - provided)
    assert not missing, (f"imported by the suite but not installed by requirements-suite.txt: {missing} "
                         f"(imported in {[sorted(third_party[m]) for m in third_party if _canonical(distributions[m][0]) in missing]})")
    unused = sorted(listed - needed)
    assert not unused, f"listed in requirements-suite.txt but imported nowhere in the suite: {unused}"


def test_requirements_suite_pins_what_requirements_txt_pins():
    suite, everything = _pins(REPO / "requirements-suite.txt"), _pins(REPO / "requirements.txt")
    differing = {name: (version, everything.get(name)) for name, version in suite.items()
                 if everything.get(name) != version}
    assert not differing, f"requirements-suite.txt pin vs requirements.txt pin: {differing}"


# attribute chains and names that exist or behave only on POSIX
_POSIX_ATTRIBUTES = {
    "os.killpg", "os.setsid", "os.setpgid", "os.getpgid", "os.getpgrp", "os.fork", "os.forkpty", "os.geteuid",
    "os.getuid", "os.getgid", "os.getegid", "os.setuid", "os.setgid", "os.mkfifo", "os.sysconf", "os.uname",
    "os.getloadavg", "os.wait3", "os.wait4", "os.WNOHANG",
    "signal.SIGKILL", "signal.SIGHUP", "signal.SIGQUIT", "signal.SIGUSR1", "signal.SIGUSR2", "signal.SIGCHLD",
    "signal.SIGALRM", "signal.SIGPIPE", "signal.SIGSTOP", "signal.SIGCONT", "signal.alarm", "signal.setitimer",
    "signal.pthread_kill", "signal.pthread_sigmask", "signal.siginterrupt",
}
_POSIX_MODULES = {"fcntl", "pwd", "grp", "termios", "tty", "pty", "resource", "posix", "syslog", "crypt", "spwd"}
_POSIX_KEYWORDS = {"preexec_fn", "start_new_session", "pass_fds", "restore_signals"}
_POSIX_PATH = re.compile(r"^/(tmp|dev|proc|sys|usr|etc|var|run|bin|home|root)(/|$)")


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def posix_only_calls(source: str) -> list[str]:
    """What in ``source`` ties it to POSIX, one line per finding."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and _dotted(node) in _POSIX_ATTRIBUTES:
            found.append(f"line {line}: {_dotted(node)}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"line {line}: import {n}" for n in names if n.split(".")[0] in _POSIX_MODULES]
        elif isinstance(node, ast.keyword) and node.arg in _POSIX_KEYWORDS:
            found.append(f"line {line}: {node.arg}=")
        elif isinstance(node, ast.keyword) and node.arg == "shell" and getattr(node.value, "value", False) is True:
            found.append(f"line {line}: shell=True")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _POSIX_PATH.match(node.value):
            found.append(f"line {line}: absolute POSIX path {node.value!r}")
    return found


def test_the_checker_sees_what_it_is_meant_to_see():
    sample = ("import os, signal, fcntl\nimport subprocess\nos.killpg(1, signal.SIGKILL)\n"
              "subprocess.run('x', shell=True, start_new_session=True)\nopen('/tmp/x')\n"
              "signal.signal(signal.SIGTERM, print)\n")
    found = posix_only_calls(sample)
    assert {f.split(": ", 1)[1] for f in found} == {
        "import fcntl", "os.killpg", "signal.SIGKILL", "shell=True", "start_new_session=",
        "absolute POSIX path '/tmp/x'"}  # SIGTERM is defined on Windows too


@pytest.mark.parametrize("file", _suite_files(), ids=lambda f: f.relative_to(REPO).as_posix())
def test_no_posix_only_call_in_the_suite(file: Path):
    assert posix_only_calls(file.read_text(encoding="utf-8")) == []
