"""One redaction function for everything that leaves the run: attachments, messages, records.

Secrets are known two ways: values registered by whoever loaded them (the config loader, the
hooks), and values of environment variables whose names look secret. On top of exact values,
secret-looking keys (password, token, Authorization, the ``access-token`` cookie, ...) and the
password part of URLs are masked, so a secret we were never told about is still unlikely to leak.
"""
from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

MASK = "***"
# Shorter values would mask ordinary words and numbers all over the report.
MIN_SECRET_LENGTH = 4
# Values guessed from variable names need more to count: "none" or "1234" in CI must not mask text.
MIN_ENV_SECRET_LENGTH = 8

_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|credential",
    re.IGNORECASE,
)
_SECRET_ENV_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|(^|_)API_KEY$|(^|_)PRIVATE_KEY$")
# scheme://user:password@host -> keep the user, mask the password
_URL_USERINFO = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)(?=@)")
# header lines and cookie pairs that carry credentials, in free text
_AUTH_HEADER = re.compile(r"(?im)^(?P<head>\s*(authorization|proxy-authorization|cookie|set-cookie)\s*:\s*).+$")
_TOKEN_PAIR = re.compile(
    r"(?i)(?P<head>\b((access|refresh|auth|id)?[-_]?token|password|passwd|secret|api[-_]?key)\b\"?\s*[=:]\s*\"?)"
    r"(?P<value>[^\s\";,&]+)"
)
_BEARER = re.compile(r"(?i)\b(?P<head>(bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}")

_registered: set[str] = set()


def register_secret(value: Any) -> None:
    """Remember a secret value (str, or a pydantic SecretStr) so that every report masks it."""
    if value is None:
        return
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    text = str(value)
    if len(text) >= MIN_SECRET_LENGTH:
        _registered.add(text)


def registered_secrets() -> frozenset[str]:
    """The secret values registered so far in this process."""
    return frozenset(_registered)


def secrets_from_environment(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of environment variables whose names look like they hold a secret."""
    environ = os.environ if environ is None else environ
    return {
        value for name, value in environ.items()
        if _SECRET_ENV_NAME.search(name.upper()) and len(value) >= MIN_ENV_SECRET_LENGTH
        and not value.startswith(("/", "./", "~"))  # a path to a key file is not the secret itself
    }


def known_secrets(extra: Iterable[str] = ()) -> set[str]:
    """Registered secrets, secret-named environment variables and ``extra``, as one set."""
    found = set(_registered) | secrets_from_environment()
    found.update(s for s in extra if s and len(s) >= MIN_SECRET_LENGTH)
    return found


def _variants(secret: str) -> list[str]:
    """The spellings a secret takes in URLs, JSON and Basic auth, longest first."""
    forms = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1],
             base64.b64encode(secret.encode()).decode()}
    return sorted((f for f in forms if len(f) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """Mask known secret values and credential-shaped substrings in free text."""
    for secret in sorted(known_secrets(secrets or ()), key=len, reverse=True):
        for form in _variants(secret):
            text = text.replace(form, MASK)
    text = _URL_USERINFO.sub(lambda m: m.group("head") + MASK, text)
    text = _AUTH_HEADER.sub(lambda m: m.group("head") + MASK, text)
    text = _BEARER.sub(lambda m: m.group("head") + MASK, text)
    return _TOKEN_PAIR.sub(lambda m: m.group("head") + MASK, text)


def is_secret_key(key: Any) -> bool:
    """True for mapping keys whose values are credentials (password, token, Authorization...)."""
    return isinstance(key, str) and bool(_SECRET_KEY.search(key))


def redact(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """Return a copy of ``value`` (text, bytes, mapping, sequence) with every secret masked."""
    secrets = set(secrets or ())
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, (bytes, bytearray)):
        return redact_text(bytes(value).decode("utf-8", errors="replace"), secrets)
    if hasattr(value, "get_secret_value"):
        return MASK
    if isinstance(value, Mapping):
        return {
            k: (MASK if is_secret_key(k) and v not in (None, "") else redact(v, secrets))
            for k, v in value.items()
        }
    if isinstance(value, tuple):
        return tuple(redact(v, secrets) for v in value)
    if isinstance(value, (list, set, frozenset)):
        return [redact(v, secrets) for v in value]
    return value


def redact_url(url: str) -> str:
    """A URL safe to show: the password of ``user:password@`` and known secrets masked."""
    return redact_text(url)
