"""Drive the project-local Allure CLI: generate the HTML report and keep history between runs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from focus_support.errors import MisconfiguredError

REPO = Path(__file__).resolve().parents[2]
ALLURE_BIN = REPO / ".tools" / "allure" / "node_modules" / ".bin" / "allure"
INSTALLER = "scripts/install_allure.sh"


def allure_binary() -> Path:
    """The pinned Allure CLI installed by scripts/install_allure.sh (``ALLURE_BIN`` overrides)."""
    path = Path(os.environ.get("ALLURE_BIN", ALLURE_BIN))
    if not path.exists():
        raise MisconfiguredError(f"Allure CLI not found at {path.relative_to(REPO) if path.is_relative_to(REPO) else path}; "
                                 f"run {INSTALLER} (or make setup)")
    return path


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)


def _set_build_order(results: Path, history: Path) -> None:
    """Number local runs so the trend graphs order them; CI's executor.json keeps its own number."""
    executor = results / "executor.json"
    counter = history.parent / "run-counter"
    order = int(counter.read_text() or 0) + 1 if counter.exists() else 1
    counter.write_text(str(order))
    if not executor.exists():
        executor.write_text(json.dumps({"name": "local run", "type": "local", "buildName": f"local run #{order}",
                                        "buildOrder": order}))


def generate_report(results: Path | str, report: Path | str, history: Path | str, timeout_s: float = 300) -> Path:
    """Generate ``report`` from ``results``, carrying history (trend graphs) over from earlier runs.

    History lives in ``history`` (``reports/history``), outside both folders, so that cleaning the
    results at the start of a run or regenerating the report never loses it.
    """
    results, report, history = Path(results), Path(report), Path(history)
    history.parent.mkdir(parents=True, exist_ok=True)
    _copy_tree(history, results / "history")
    _set_build_order(results, history)
    cmd = [str(allure_binary()), "generate", str(results), "--clean", "-o", str(report)]
    # ALLURE_NO_ANALYTICS: no call home while generating, no tracking script in the report
    env = {**os.environ, "ALLURE_NO_ANALYTICS": "true"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    if done.returncode != 0 or not (report / "index.html").exists():
        raise MisconfiguredError(f"allure generate failed (exit {done.returncode}): "
                                 f"{(done.stderr or done.stdout).strip()[-2000:]}")
    _copy_tree(report / "history", history)
    return report


def open_instructions(report: Path | str) -> str:
    """How to look at the report: it is a JS app and must be served over http, not opened as a file."""
    report = Path(report)
    shown = report.relative_to(REPO) if report.is_absolute() and report.is_relative_to(REPO) else report
    binary = ALLURE_BIN.relative_to(REPO)
    return (f"Open the report (it must be served over http, not opened as a file):\n"
            f"  {binary} open {shown}\n"
            f"  or: .venv/bin/python -m focus_support.reporting serve {shown}")
