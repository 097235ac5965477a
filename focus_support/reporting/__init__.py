"""Stakeholder reports: Allure results with honest statuses, evidence, triage and the run's verdict.

Modules: ``formatter`` (the behave formatter for behave.ini), ``hooks`` (what the behave hooks
call), ``evidence`` (attachments), ``redaction`` (the one redact function), ``triage`` and
``records`` (the verdict of focus_support.verdict applied to a run), ``run_report`` (``finish_run`` after behave),
``allure_cli``/``serve`` (HTML report). See README.md beside this file.
"""
from focus_support.reporting.redaction import redact, register_secret
from focus_support.reporting.triage import decide_exit_code, judge_record

__all__ = ["judge_record", "decide_exit_code", "redact", "register_secret"]
