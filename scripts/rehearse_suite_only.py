"""The suite-only install path, exercised against the staging rehearsal (issue 13).

The product team's CI runners have Python and pip only. This creates a fresh virtualenv, installs
``requirements-suite.txt`` into it and nothing else, then runs the suite from it exactly as such a
runner would - ``python -m behave -D env=rehearsal`` and ``python -m focus_support.reporting finish
--no-html`` - against the rehearsal (the sandbox in staging's shape and another tenant, both run from
this repository's own environment, see scripts/rehearsal.py).

    flock /tmp/focus-sandbox.lock .venv/bin/python -m scripts.rehearse_suite_only [--venv DIR] [behave args]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtualenv, on Windows as on POSIX."""
    windows = venv / "Scripts" / "python.exe"
    return windows if windows.exists() else venv / "bin" / "python"


def fresh_suite_venv(venv: Path) -> Path:
    """A virtualenv holding only requirements-suite.txt (reused when it already exists)."""
    if not venv_python(venv).exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv_python(venv)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(REPO / "requirements-suite.txt")], check=True)
    return python


def suite_environment() -> dict[str, str]:
    """This process's environment without what would let the child see our own virtualenv."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.rehearse_suite_only", description=__doc__)
    parser.add_argument("--venv", type=Path, help="where to create the suite's virtualenv (default: a temporary one)")
    parser.add_argument("--profile", default="spec")
    parser.add_argument("--defect", action="append", default=[])
    args, behave_args = parser.parse_known_args(argv)
    temporary = args.venv is None
    venv = args.venv or Path(tempfile.mkdtemp(prefix="focus-suite-venv-"))
    try:
        began = time.monotonic()
        python = fresh_suite_venv(venv)
        installed = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True,
                                   check=True).stdout.split()
        print(f"[suite-only] {len(installed)} distributions in {venv} ({time.monotonic() - began:.0f} s): "
              f"{', '.join(sorted(installed))}", flush=True)
        from scripts.rehearsal import Rehearsal

        with Rehearsal(profile=args.profile, defects=args.defect) as session:
            command = [str(python), "-m", "behave", "-D", "env=rehearsal", *behave_args]
            print(f"[suite-only] {' '.join(command[1:])}", flush=True)
            behave_rc = subprocess.run(command, cwd=REPO, env=suite_environment()).returncode
            outcome = session.finish()
        code = subprocess.run([str(python), "-m", "focus_support.reporting", "finish", "--no-html",
                               "--behave-exit-code", str(behave_rc)], cwd=REPO, env=suite_environment()).returncode
        print("\n".join(outcome.lines()), flush=True)
        return outcome.exit_code(code)
    finally:
        if temporary:
            shutil.rmtree(venv, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
