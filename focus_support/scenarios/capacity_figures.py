"""The capacity figures a stakeholder looks at: per step, ratios and time-to-ready, as a table, a chart
and ``reports/capacity.json`` (issue 17).

Each graduated step adds one :class:`StepFigures`; the summary file holds every step of the current
run (a file from an earlier run is replaced, never merged), so the triage can state the capacity
reached in one line, e.g. ``capacity: 50/50 ready, p95 ready 0.4 s``.
"""
from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from focus_support.reporting.run_facts import reports_dir_of_run

REPORTS = Path(__file__).resolve().parents[2] / "reports"
SUMMARY_FILE = "capacity.json"
REQUIRED_JOBS = 40      # contract 4: at least 40 concurrent jobs required ...
TARGET_JOBS = 50        # ... 50 the target
READY_SHARE = 0.95      # per step, at least 95 % accepted and ready
# One id per behave process: a summary written by another run is replaced, not extended.
RUN_ID = f"{os.getpid()}-{int(time.time())}"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class StepFigures:
    """What one graduated step measured (or why it did not run)."""

    jobs: int
    accepted: int = 0
    ready: int = 0
    streaming: int = 0
    ready_p50_s: float | None = None
    ready_p95_s: float | None = None
    throttled: int = 0              # 429s waited out while configuring
    duration_s: float = 0.0
    skipped: str | None = None      # the reason, when the step did not run here

    @property
    def role(self) -> str:
        """``required`` up to the required job count, ``target`` above it."""
        return "required" if self.jobs <= REQUIRED_JOBS else "target"

    @property
    def accepted_ratio(self) -> float:
        return self.accepted / self.jobs if self.jobs else 0.0

    @property
    def ready_ratio(self) -> float:
        return self.ready / self.jobs if self.jobs else 0.0

    @property
    def passed(self) -> bool | None:
        """At least 95 % ready (None for a skipped step)."""
        return None if self.skipped else self.ready_ratio >= READY_SHARE

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(role=self.role, accepted_ratio=round(self.accepted_ratio, 4),
                    ready_ratio=round(self.ready_ratio, 4), passed=self.passed)
        for key in ("ready_p50_s", "ready_p95_s", "duration_s"):
            if data[key] is not None:
                data[key] = round(data[key], 3)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StepFigures":
        names = {"jobs", "accepted", "ready", "streaming", "ready_p50_s", "ready_p95_s", "throttled",
                 "duration_s", "skipped"}
        return cls(**{k: v for k, v in data.items() if k in names})


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def table(steps: Sequence[StepFigures]) -> str:
    """A small plain-text table, one row per step."""
    header = ("jobs", "role", "accepted", "ready", "streaming", "ready p50", "ready p95", "429s", "result")
    rows = [header]
    for s in sorted(steps, key=lambda s: s.jobs):
        if s.skipped:
            rows.append((str(s.jobs), s.role, "-", "-", "-", "-", "-", "-", f"skipped: {s.skipped}"))
            continue
        rows.append((str(s.jobs), s.role, f"{s.accepted}/{s.jobs} ({s.accepted_ratio:.0%})",
                     f"{s.ready}/{s.jobs} ({s.ready_ratio:.0%})", f"{s.streaming}/{s.jobs}",
                     _seconds(s.ready_p50_s), _seconds(s.ready_p95_s), str(s.throttled),
                     "met" if s.passed else f"missed (< {READY_SHARE:.0%} ready)"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r[:-1])) + "  " + r[-1] for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ------")
    return "\n".join(line.rstrip() for line in lines)


def summary_line(steps: Sequence[StepFigures]) -> str:
    """One line for the triage: the largest step met, and the steps missed."""
    ran = sorted((s for s in steps if not s.skipped), key=lambda s: s.jobs)
    if not ran:
        return "capacity: not measured in this run"
    met = [s for s in ran if s.passed]
    if met:
        best = met[-1]
        p95 = "-" if best.ready_p95_s is None else f"{best.ready_p95_s:.2g} s"
        line = f"capacity: {best.ready}/{best.jobs} ready, p95 ready {p95}"
    else:
        line = f"capacity: no step reached {READY_SHARE:.0%} ready"
    missed = [f"{s.jobs}-job step missed ({s.ready}/{s.jobs} ready, {s.role})" for s in ran if not s.passed]
    return "; ".join([line, *missed])


def chart_png(steps: Sequence[StepFigures], title: str, start_timeout_s: float | None = None) -> bytes:
    """Bars of accepted/ready per step against the 95 % line, time-to-ready p50/p95 on a second axis."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # late: plotting is slow to import
    from matplotlib.figure import Figure

    ran = sorted((s for s in steps if not s.skipped), key=lambda s: s.jobs)
    figure = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    x = list(range(len(ran)))
    ax.bar([i - 0.2 for i in x], [100 * s.accepted_ratio for s in ran], 0.4, label="accepted", color="#8fb8de")
    ax.bar([i + 0.2 for i in x], [100 * s.ready_ratio for s in ran], 0.4, label="ready in time",
           color=["#4c956c" if s.passed else "#d1495b" for s in ran])
    ax.axhline(100 * READY_SHARE, color="#333333", linestyle="--", linewidth=1, label="95 % needed")
    ax.set_xticks(x, [f"{s.jobs}\n{s.role}" for s in ran])
    ax.set_xlabel("live jobs at once")
    ax.set_ylabel("share of the step's jobs (%)")
    ax.set_ylim(0, 110)
    times = ax.twinx()
    for key, label, style in (("ready_p50_s", "time to ready p50", "o-"), ("ready_p95_s", "time to ready p95", "s--")):
        points = [(i, getattr(s, key)) for i, s in zip(x, ran) if getattr(s, key) is not None]
        if points:
            times.plot([p[0] for p in points], [p[1] for p in points], style, color="#2e4057", label=label)
    if start_timeout_s:
        times.axhline(start_timeout_s, color="#d1495b", linestyle=":", linewidth=1, label="start timeout")
    times.set_ylabel("seconds")
    times.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()
    more = times.get_legend_handles_labels()
    # below the plot, so that neither the bars nor the time lines are hidden
    figure.legend(handles[0] + more[0], handles[1] + more[1], loc="lower center", ncol=3, fontsize="small",
                  frameon=False)
    ax.set_title(title)
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def read_summary(path: Path) -> dict[str, Any] | None:
    """The summary file, or None when absent or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def summary_document(steps: Sequence[StepFigures], *, environment: str, declared_capacity: int,
                     run_id: str = RUN_ID) -> dict[str, Any]:
    """The summary file's content for these steps (one per job count, in ascending order)."""
    ordered = sorted(steps, key=lambda s: s.jobs)
    met = [s for s in ordered if s.passed]
    return {
        "run_id": run_id,
        "environment": environment,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "declared_capacity": declared_capacity,
        "required_jobs": REQUIRED_JOBS,
        "target_jobs": TARGET_JOBS,
        "ready_share": READY_SHARE,
        "steps": [s.to_dict() for s in ordered],
        "capacity_reached": ({"jobs": met[-1].jobs, "ready": met[-1].ready,
                              "ready_p95_s": met[-1].to_dict()["ready_p95_s"]} if met else None),
        "summary": summary_line(ordered),
    }


def merge_summaries(documents: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """One summary from the files of several workers or shards of one run (each ran some steps);
    a step recorded twice keeps the later file's figures. None when there is nothing to merge."""
    documents = sorted((d for d in documents if d and d.get("steps")), key=lambda d: str(d.get("written_at", "")))
    if not documents:
        return None
    steps = {s["jobs"]: StepFigures.from_dict(s) for d in documents for s in d["steps"]}
    last = documents[-1]
    merged = summary_document(list(steps.values()), environment=str(last.get("environment", "")),
                              declared_capacity=int(last.get("declared_capacity") or 0),
                              run_id=str(last.get("run_id", RUN_ID)))
    merged["written_at"] = last.get("written_at", merged["written_at"])
    return merged


def record_step(step: StepFigures, *, environment: str, declared_capacity: int,
                reports: Path | None = None, run_id: str = RUN_ID) -> tuple[list[StepFigures], dict[str, Any]]:
    """Add (or replace) a step in this run's summary file; returns every step of the run and the document.

    The file goes where the run reports (a worker's or a temporary folder), not always to the repo's
    reports/: a run elsewhere must neither overwrite the user's figures nor lose its own."""
    path = (reports or reports_dir_of_run() or REPORTS) / SUMMARY_FILE
    previous = read_summary(path)
    steps: dict[int, StepFigures] = {}
    if previous and previous.get("run_id") == run_id:
        steps = {s["jobs"]: StepFigures.from_dict(s) for s in previous.get("steps", [])}
    steps[step.jobs] = step
    document = summary_document(list(steps.values()), environment=environment,
                                declared_capacity=declared_capacity, run_id=run_id)
    ordered = sorted(steps.values(), key=lambda s: s.jobs)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{SUMMARY_FILE}.{os.getpid()}")
    partial.write_text(json.dumps(document, indent=2) + "\n")
    partial.replace(path)
    return ordered, document


def attach(steps: Sequence[StepFigures], document: dict[str, Any], png: bytes) -> None:
    """Attach the table, the chart and the summary to the running Allure step (nothing outside a run)."""
    import allure

    allure.attach(table(steps), name="capacity per step", attachment_type=allure.attachment_type.TEXT)
    allure.attach(png, name="capacity chart", attachment_type=allure.attachment_type.PNG)
    allure.attach(json.dumps(document, indent=2), name=SUMMARY_FILE, attachment_type=allure.attachment_type.JSON)
