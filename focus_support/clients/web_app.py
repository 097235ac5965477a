"""Prisma Web App client (contract section 6): login cookie, alert push, list and delete."""
from __future__ import annotations

from typing import Any

import requests
from pydantic import SecretStr

from focus_support.errors import UnexpectedResponseError
from focus_support.models import AlertDeleteRequest, AlertPush, LoginRequest
from focus_support.retry import RetryPolicy

from .base import ServiceClient, describe_response

ACCESS_COOKIE = "access-token"


class WebAppClient(ServiceClient):
    """Client of the Web App; keeps the ``access-token`` cookie of the last successful login."""

    def __init__(self, base_url: str, site_id: str, **kwargs: Any) -> None:
        super().__init__("web-app", base_url, **kwargs)
        self.site_id = site_id

    def send_login(self, username: str, password: str | SecretStr) -> requests.Response:
        """``POST /auth/login``; on 201 the cookie is kept for every later call."""
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        response = self.request("POST", "auth/login", json=LoginRequest(username=username, password=secret).to_wire())
        token = response.cookies.get(ACCESS_COOKIE)
        if response.status_code in (200, 201) and token:
            self.use_cookie(token)
        return response

    def login(self, username: str, password: str | SecretStr) -> None:
        """Log in or raise a product failure: the Web App was reached and refused the configured user
        (if the configured password is wrong, the message says which user to check)."""
        response = self.send_login(username, password)
        if response.status_code not in (200, 201) or not self.session.cookies.get(ACCESS_COOKIE):
            raise UnexpectedResponseError(
                f"expected the Web App to sign in the configured user '{username}' (201 with an "
                f"'{ACCESS_COOKIE}' cookie); if its password in the environment is wrong, fix that\n"
                f"{describe_response(response)}", response)

    def send_logout(self) -> requests.Response:
        """``POST /auth/logout``: ends the session of the current cookie (the cookie jar is left as is)."""
        return self.request("POST", "auth/logout")

    def access_token(self) -> str | None:
        """The ``access-token`` this client presents (None when anonymous)."""
        return self.session.cookies.get(ACCESS_COOKIE)

    def use_cookie(self, token: str | None) -> None:
        """Send this ``access-token`` on every path (None forgets it: anonymous calls)."""
        self.session.cookies.clear()
        if token is not None:
            # Set for every path: a cookie scoped to /auth would not reach the site routes.
            self.session.cookies.set(ACCESS_COOKIE, token, path="/")

    def send_push(self, alert: AlertPush | dict[str, Any], retry: RetryPolicy | None = None) -> requests.Response:
        """``POST /<site>/api/push-to-rabbit`` (raw dicts pass through untouched)."""
        payload = alert.model_dump() if isinstance(alert, AlertPush) else alert
        return self.request("POST", f"{self.site_id}/api/push-to-rabbit", json=payload, retry=retry)

    def send_list_alerts(self) -> requests.Response:
        """``GET /<site>/api/alert``."""
        return self.request("GET", f"{self.site_id}/api/alert")

    def send_delete_alerts(self, alert_ids: list[str]) -> requests.Response:
        """``DELETE /<site>/api/alert/delete`` with ``{"alertIds": [...]}``."""
        body = AlertDeleteRequest(alertIds=alert_ids).model_dump()
        return self.request("DELETE", f"{self.site_id}/api/alert/delete", json=body)

    def list_alerts(self) -> list[dict[str, Any]]:
        """Alerts as listed (200 required)."""
        response = self.send_list_alerts()
        if response.status_code != 200:
            raise UnexpectedResponseError(f"expected HTTP 200\n{describe_response(response)}", response)
        body = response.json()
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            return body.get("alerts", body.get("items", []))
        raise UnexpectedResponseError(f"expected a list of alerts (or an object holding one)\n"
                                      f"{describe_response(response)}", response)
