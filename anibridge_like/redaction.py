"""Credentials out of every error, log event and stored message — in one place.

What is redacted (replaced by ``***``):

* query parameters named like a credential (``api_key``, ``apikey``, ``token``,
  ``access_token``, ``secret``, ``password``, ``sig`` … — :func:`is_secret_name`) in any URL or
  ``name=value`` fragment of a text;
* the userinfo of a URL (``https://user:pass@host`` → ``https://***@host``);
* headers named like a credential (``Authorization``, ``X-Api-Key``, ``Cookie`` …);
* every *known* secret value, literally: the process registers the keys it is configured with
  (:func:`register_secret`: the admin and Torznab keys, library keys, plugin config values whose
  name looks like a credential), so a key that appears in some other shape is caught too.

Users: :class:`~anibridge_like.plugins.errors.PluginError` (its message is what the catalog
stores in ``stage_state.last_error`` and ``title_state.canonical_error``),
:func:`anibridge_like.providers.http.error_for_status` (URLs in error texts), the structlog
processor :func:`redact_event` (every log line, stdlib loggers included) and the health routes
(:func:`public_view`: only scheme, host and path of URLs for callers without the admin key).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

_SECRET_PARTS = frozenset(
    {
        "key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "auth",
        "authorization", "sig", "signature", "session", "sessionid", "sid", "cookie",
        "credential", "credentials", "accesstoken", "accesskey", "privatekey", "clientsecret",
        "refreshtoken", "idtoken", "bearer", "jwt",
    }
)  # fmt: skip
_SECRET_SUFFIXES = ("apikey", "token", "secret", "password")
_NAME_SPLIT = re.compile(r"[-_.\s]+")


_PARAM = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z0-9_.\-]{0,63})(?P<eq>=|%3D)(?P<value>[^&\s\"'<>#;,=?]*)"
)
"""``name=value`` anywhere in a text (URL queries, form bodies, ``repr``s of requests)."""
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s@\"'<>]+)@")
_HEADER_LINE = re.compile(
    r"(?P<name>(?:authorization|proxy-authorization|x-api-key|api-key|cookie|set-cookie))"
    r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<value>[^\r\n,'\"}]+)",
    re.IGNORECASE,
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]+")

_known: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: re.Pattern[str] | None = None
MIN_KNOWN_LENGTH = 4
"""Shorter configured values are not scrubbed literally (they would mangle ordinary words);
they are still redacted by name."""


def register_secret(value: str | None) -> None:
    """Scrub ``value`` literally from everything redacted from now on (idempotent)."""
    global _known_pattern
    if value is None:
        return
    value = value.strip()
    if len(value) < MIN_KNOWN_LENGTH or value in _known:
        return
    with _known_lock:
        _known.add(value)
        ordered = sorted(_known, key=len, reverse=True)
        _known_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def register_secrets(values: Iterable[str | None]) -> None:
    for value in values:
        register_secret(value)


def register_config_secrets(config: Mapping[str, Any], depth: int = 0) -> None:
    """Register the values of a plugin config whose names look like credentials (in nested
    mappings and lists too)."""
    for name, value in config.items():
        secret = isinstance(name, str) and is_secret_name(name) and not name.endswith("_env")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and depth < 8:
                register_config_secrets(item, depth + 1)
            elif secret and isinstance(item, str | int) and not isinstance(item, bool):
                register_secret(str(item))


def register_configured_secrets(settings: Any, seed: Any) -> None:
    """Register every key the process is configured with: the settings' keys (any
    ``SecretStr`` field), the seed's library keys and plugin config values named like
    credentials (``api_key``; ``api_key_env`` is resolved through the environment)."""
    import os

    for name in type(settings).model_fields:
        value: Any = getattr(settings, name, None)
        if value is not None and hasattr(value, "get_secret_value"):
            register_secret(value.get_secret_value())
    for lib in getattr(seed, "libraries", ()):
        register_secret(getattr(lib, "api_key", None))
    for plugin in getattr(seed, "plugins", ()):
        config: Mapping[str, Any] = getattr(plugin, "config", {})
        register_config_secrets(config)
        for key, var in config.items():
            if key.endswith("_env") and isinstance(var, str) and is_secret_name(key[:-4]):
                register_secret(os.environ.get(var))


def forget_secrets() -> None:
    """Drop every registered value (tests)."""
    global _known_pattern
    with _known_lock:
        _known.clear()
        _known_pattern = None


def is_secret_name(name: str) -> bool:
    """Whether ``name`` (a parameter, header or config key) holds a credential: one of its
    parts (split at ``-_.``) is ``key``, ``token``, ``secret``, ``password``, ``auth``, ``sig``
    … or ends in ``apikey``/``token``/``secret``/``password`` (``apiKey``, ``accessToken``)."""
    parts = [p for p in _NAME_SPLIT.split(name.lower()) if p]
    return any(p in _SECRET_PARTS or p.endswith(_SECRET_SUFFIXES) for p in parts)


def _param(match: re.Match[str]) -> str:
    if is_secret_name(match["name"]) and match["value"]:
        return f"{match['name']}{match['eq']}{MASK}"
    return match[0]


def redact_text(text: str) -> str:
    """``text`` with every credential this module knows of replaced by ``***``."""
    if not text:
        return text
    pattern = _known_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "=" in text or "%3D" in text:
        text = _PARAM.sub(_param, text)
    if "@" in text:
        text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    if ":" in text or "=" in text:
        text = _HEADER_LINE.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    return text


def redact_url(url: object) -> str:
    """A URL (``str`` or ``httpx.URL``) with userinfo and credential parameters masked."""
    return redact_text(str(url))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credential-named values masked."""
    return {k: (MASK if is_secret_name(k) else redact_text(v)) for k, v in headers.items()}


def redact_value(value: Any, depth: int = 0) -> Any:
    """Redact strings inside ``value`` (dicts, lists, tuples, exceptions by their text)."""
    if isinstance(value, str):
        return redact_text(value)
    if depth > 8:
        return value
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_name(k) and isinstance(v, str) and v
                else redact_value(v, depth + 1))
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, depth + 1) for v in value)
    if isinstance(value, BaseException):
        return redact_text(repr(value))
    return value


_LOG_KEYS_KEPT = frozenset({"timestamp", "level", "logger", "logger_name"})


def redact_event(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: every string of the event (its message, bound context, a formatted
    traceback) goes through :func:`redact_text`. Place it after ``format_exc_info``."""
    for key, value in list(event_dict.items()):
        if key in _LOG_KEYS_KEPT or key.startswith("_"):
            continue
        if isinstance(value, str):
            event_dict[key] = redact_text(value)
        elif isinstance(value, Mapping | list | tuple | BaseException):
            event_dict[key] = redact_value(value)
        elif not isinstance(value, int | float | bool | type(None)):
            text = str(value)
            cleaned = redact_text(text)
            if cleaned != text:
                event_dict[key] = cleaned
    return event_dict


def public_url(url: str) -> str:
    """Scheme, host (and port) and path of ``url``: no userinfo, query or fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def public_text(text: str) -> str:
    """``text`` redacted, with every URL in it reduced to :func:`public_url`."""

    def shorten(match: re.Match[str]) -> str:
        url = match[0]
        tail = len(url) - len(url.rstrip(".,;:)]}"))
        return public_url(url[: len(url) - tail]) + url[len(url) - tail :]

    return _URL.sub(shorten, redact_text(text))


def public_view(value: Any, depth: int = 0) -> Any:
    """A JSON-like value as unauthenticated callers may see it (strings via :func:`public_text`)."""
    if isinstance(value, str):
        return public_text(value)
    if depth > 16:
        return value
    if isinstance(value, Mapping):
        return {k: public_view(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [public_view(v, depth + 1) for v in value]
    return value
