"""Stakeholder reports: Allure results with honest statuses, evidence, triage and the run's verdict."""
