"""Who may delete alerts (contract section 6): a viewer session and what the Web App still lists."""
from __future__ import annotations

from typing import Any

from focus_support.errors import MisconfiguredError
from focus_support.scenarios import alerts, notes_of
from focus_support.scenarios.alerts import AlertNotes


def push_valid_alert(suite: Any, state: Any) -> Any:
    """Push one valid alert as the signed-in user (its ids are deleted at cleanup); the response."""
    alerts.sign_in(suite, state)
    return alerts.push(suite, state, alerts.valid_alert(alerts.new_alert_ids(1)))


def viewer_client(suite: Any, state: Any) -> Any:
    """A Web App client signed in as the environment's user without delete permission (closed at cleanup)."""
    viewer = suite.environment.web_app.viewer
    if viewer is None:
        raise MisconfiguredError(f"environment {suite.environment.name!r} declares no web_app.viewer user "
                                 "(a user without delete permission)")
    client = suite.new_web_app()
    state.cleanup.register("close the viewer's Web App client", client.close)
    client.login(viewer.username, viewer.password)
    return client


def pushed_ids(state: Any) -> list[str]:
    """The alert ids of this scenario's last push."""
    return list((notes_of(state, AlertNotes).pushed or {}).get("alertIds") or [])


def listed_ids(suite: Any) -> set[str]:
    """Ids of the alerts the Web App lists for the site (read as the signed-in user)."""
    return {str(a.get("alertId")) for a in suite.web_app.list_alerts() if isinstance(a, dict)}
