"""The behave formatter the suite uses: allure-behave with honest statuses, labels and a run record.

Configure it in behave.ini (``format = focus_support.reporting.formatter:FocusAllureFormatter`` with
``outfiles = reports/allure-results``). Besides the Allure results it writes ``run-results.json``
next to the results folder, one record per scenario, which triage reads after the run.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, Link, StatusDetails
from allure_commons.types import LabelType, LinkType
from allure_behave.utils import get_status, get_status_details
from allure_commons.utils import get_testplan, now
from behave.formatter.base import Formatter

from focus_support.reporting import observations
from focus_support.reporting.records import RECORD_FILE, RunRecordWriter, make_record
from focus_support.reporting.redaction import redact
from focus_support.reporting.run_info import RUN, write_results_metadata
from focus_support.reporting.statuses import Outcome, scenario_outcome, step_outcome
from focus_support.reporting.tags import issue_label, parse_tags
from focus_support.reporting.xray import tms_url, xray_keys
from focus_support.reporting.triage import judge_record
from focus_support.verdict.classify import PRODUCT_KNOWN

# The listener of the running formatter, for evidence attachments (None outside a behave run).
ACTIVE: "FocusAllureListener | None" = None
_REPLACED_LABELS = {LabelType.SEVERITY, LabelType.EPIC, LabelType.FEATURE, LabelType.STORY,
                    LabelType.PARENT_SUITE, LabelType.SUITE}


def _details(outcome: Outcome, prefix: str | None = None) -> StatusDetails | None:
    if not outcome.message and not outcome.trace:
        return None
    message = redact(outcome.message or "")
    if prefix:
        message = f"[{prefix}] {message}"
    return StatusDetails(message=message, trace=redact(outcome.trace) if outcome.trace else None)


def _is_binary(attachment_type: Any) -> bool:
    """Images, videos and archives are passed through; every text type gets redacted."""
    mime = getattr(attachment_type, "mime_type", None) or str(attachment_type or "")
    return mime.startswith(("image/", "video/", "application/zip", "application/octet-stream"))


def _humanize(folder: str) -> str:
    return folder.replace("_", " ").replace("-", " ").strip().capitalize()


def epic_of(filename: str | None) -> str | None:
    """The feature area: the folder under ``features/`` that holds the feature file."""
    if not filename or filename == "<string>":
        return None
    parts = Path(filename).parts[:-1]
    if "features" in parts:
        parts = parts[parts.index("features") + 1:]
    return _humanize(parts[0]) if parts else None


def _own_tags(scenario: Any) -> list[str]:
    """Tags written on the scenario (or its outline and examples), not inherited from the feature."""
    tags = list(getattr(scenario, "tags", []))
    rule = getattr(scenario, "rule", None)
    tags += list(getattr(rule, "tags", []) or [])
    return tags


def _effective_tags(scenario: Any) -> list[str]:
    tags = getattr(scenario, "effective_tags", None)
    return sorted(tags) if tags is not None else list(scenario.feature.tags) + list(scenario.tags)


class FocusAllureListener(AllureListener):
    """AllureListener that reports every behave status honestly and records each scenario."""

    def __init__(self, behave_config: Any, record_path: Path) -> None:
        super().__init__(behave_config)
        self.records = RunRecordWriter(record_path)
        self._started: dict[str, float] = {}

    # ---- labels and links ---------------------------------------------------------------
    def start_scenario(self, scenario: Any) -> None:
        super().start_scenario(scenario)
        test = self.logger.get_test(self.current_scenario_uuid)
        info = parse_tags(_effective_tags(scenario), _own_tags(scenario))
        test.labels = [l for l in test.labels if l.name not in _REPLACED_LABELS]
        epic = epic_of(scenario.filename)
        if epic:
            test.labels.append(Label(name=LabelType.EPIC, value=epic))
            test.labels.append(Label(name=LabelType.PARENT_SUITE, value=epic))
        test.labels.append(Label(name=LabelType.FEATURE, value=scenario.feature.name))
        test.labels.append(Label(name=LabelType.SUITE, value=scenario.feature.name))
        story = getattr(getattr(scenario, "rule", None), "name", None) or scenario.name.split(" -- @")[0]
        test.labels.append(Label(name=LabelType.STORY, value=story))
        test.labels.append(Label(name=LabelType.SEVERITY, value=info.severity))
        for issue in info.issues:
            url = RUN.issue_url(issue)
            if url:
                test.links.append(Link(type=LinkType.ISSUE, url=url, name=issue_label(issue)))
        for key in xray_keys(info.tags):  # @xray:PZ-NNNNN: the test case in the test-management tool
            test.links.append(Link(type=LinkType.TEST_CASE, url=tms_url(key), name=key))
        self._started[self.current_scenario_uuid] = time.monotonic()
        observations.reset()

    # ---- everything Allure receives is redacted -----------------------------------------
    @allure_commons.hookimpl
    def stop_fixture(self, parent_uuid, uuid, name, exc_type, exc_val, exc_tb):
        details = get_status_details(exc_type, exc_val, exc_tb)
        if details:
            details = StatusDetails(message=redact(details.message), trace=redact(details.trace))
        self.logger.stop_before_fixture(uuid=uuid, stop=now(), status=get_status(exc_val), statusDetails=details)

    @allure_commons.hookimpl
    def stop_step(self, uuid, exc_type, exc_val, exc_tb):
        details = get_status_details(exc_type, exc_val, exc_tb)
        if details:
            details = StatusDetails(message=redact(details.message), trace=redact(details.trace))
        self.logger.stop_step(uuid, stop=now(), status=get_status(exc_val), statusDetails=details)

    @allure_commons.hookimpl
    def start_step(self, uuid, title, params):
        super().start_step(uuid, redact(title), redact(dict(params)))

    @allure_commons.hookimpl
    def attach_data(self, body, name, attachment_type, extension):
        if isinstance(body, (str, bytes, bytearray)) and not _is_binary(attachment_type):
            body = redact(body)
        super().attach_data(body, redact(name) if name else name, attachment_type, extension)

    @allure_commons.hookimpl
    def attach_file(self, source, name, attachment_type, extension):
        if not _is_binary(attachment_type):
            text = Path(source).read_text(encoding="utf-8", errors="replace")
            super().attach_data(redact(text), redact(name) if name else name, attachment_type, extension)
            return
        super().attach_file(source, name, attachment_type, extension)

    # ---- statuses -----------------------------------------------------------------------
    def stop_behave_step(self, result: Any) -> None:
        outcome = step_outcome(result)
        self.logger.stop_step(self.current_step_uuid, stop=now(), status=outcome.status,
                              statusDetails=_details(outcome))

    def stop_scenario(self, scenario: Any) -> None:
        tag_expression = getattr(self.behave_config, "tag_expression", None)
        should_run = scenario.should_run_with_tags(tag_expression) and \
            scenario.should_run_with_name_select(self.behave_config)
        outcome = scenario_outcome(scenario)
        uuid = self.current_scenario_uuid
        duration = time.monotonic() - self._started.pop(uuid, time.monotonic())
        info = parse_tags(_effective_tags(scenario), _own_tags(scenario))
        record = make_record(feature=scenario.feature.name, scenario=scenario.name,
                             location=str(scenario.location), outcome=outcome, info=info,
                             duration_s=duration, observations=observations.take())
        judge_record(record)
        if should_run:
            # scenarios excluded by tags or name are not part of the run's record
            self.records.add(record)

        # excluded by tags/name: hidden unless asked for; skipped at run time (scenario.skip): always shown
        drop = not should_run and (self.hide_excluded or not self.behave_config.show_skipped)
        if drop:
            self.logger.drop_test(uuid)
            # allure-behave leaves the scenario's group open here, which later swallows the
            # session group and with it the before_all/after_all fixtures
            self.group_context.exit()
        else:
            self.flush_steps()
            test = self.logger.get_test(uuid)
            test.stop = now()
            test.status = outcome.status
            test.statusDetails = _details(outcome, prefix=record.category)
            if record.category:
                test.labels.append(Label(name=LabelType.TAG, value=f"triage: {record.category}"))
                if record.category == PRODUCT_KNOWN and test.statusDetails:
                    test.statusDetails.known = True
            self.logger.close_test(uuid)
            self.current_step_uuid = None
            self.group_context.append_test(uuid)
            self.group_context.exit()
        self.current_scenario_uuid = None


class FocusAllureFormatter(AllureFormatter):
    """allure-behave's formatter with FocusAllureListener; cleans stale results at start."""

    name = "focus_allure"
    description = "Allure results with honest statuses, triage labels and a run record"

    def __init__(self, stream_opener: Any, config: Any) -> None:
        global ACTIVE
        Formatter.__init__(self, stream_opener, config)
        results_dir = Path(self.stream_opener.name or "reports/allure-results")
        self.results_dir = results_dir
        self.listener = FocusAllureListener(config, results_dir.parent / RECORD_FILE)
        # results of an earlier run would be counted again by `allure generate`
        self.file_logger = AllureFileLogger(str(results_dir), clean=True)
        allure_commons.plugin_manager.register(self.listener)
        allure_commons.plugin_manager.register(self.file_logger)
        self.testplan = get_testplan()
        ACTIVE = self.listener

    def close_stream(self) -> None:
        global ACTIVE
        write_results_metadata(self.results_dir)
        super().close_stream()
        ACTIVE = None
