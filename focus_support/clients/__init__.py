"""HTTP clients of Focus Server and the Prisma Web App."""
from .base import ServiceClient, describe_response, exchange_of, expect_json
from .focus import FocusClient, is_waiting_for_fibre
from .web_app import ACCESS_COOKIE, WebAppClient

__all__ = ["ACCESS_COOKIE", "FocusClient", "ServiceClient", "WebAppClient", "describe_response",
           "exchange_of", "expect_json", "is_waiting_for_fibre"]
