"""The inline-secret markers (:mod:`anibridge_like.plugins.inline_secrets`): which values are
sealed (credential-named keys at any depth, lists under them, never ``*_env`` names or flags),
how they come back, and how the admin API shows a config."""

from __future__ import annotations

import json

import pytest

from anibridge_like.plugins.env import resolve_config
from anibridge_like.plugins.inline_secrets import (
    MARKER,
    InlineSecretMissing,
    SecretVault,
    digest,
    holds_plain_secret,
    public_config,
    reveal,
    seal,
)
from anibridge_like.redaction import forget_secrets, redact_text, register_config_secrets

CONFIG = {
    "base_url": "http://user:hunter22@sonarr:8989/?x=1",
    "api_key": "k-abc123",
    "api_key_env": "SONARR_KEY",
    "use_token": True,
    "timeout": 30,
    "auth": {"username": "bob", "password": "pw-s3cret", "deeper": {"token": 987654}},
    "bearer": ["tok-one", "tok-two"],
    "servers": [{"name": "a", "secret": "sec-in-list"}],
    "empty_token": "",
}
SECRETS = ("k-abc123", "pw-s3cret", "987654", "tok-one", "tok-two", "sec-in-list")


def test_seal_replaces_every_credential_value_and_reveal_restores_the_config() -> None:
    vault = SecretVault()
    stored = seal(CONFIG, b"key", vault)
    text = json.dumps(stored)
    for secret in SECRETS:
        assert secret not in text
    assert stored["api_key_env"] == "SONARR_KEY" and stored["use_token"] is True
    assert stored["auth"]["username"] == "bob" and stored["timeout"] == 30
    assert stored["empty_token"] == ""
    assert stored["api_key"] == {MARKER: digest("k-abc123", b"key")}
    assert reveal(stored, vault) == CONFIG
    assert seal(CONFIG, b"key", SecretVault()) == stored  # deterministic: no spurious changes
    assert seal(CONFIG, b"other", SecretVault()) != stored  # keyed per install
    assert seal({**CONFIG, "api_key": "k-abc124"}, b"key", vault) != stored


def test_digests_tell_types_apart_and_fall_back_to_sha256_without_a_key() -> None:
    assert digest("1", None) != digest(1, None)
    assert digest("x", None).startswith("sha256:")
    assert digest("x", b"k").startswith("hmac-sha256:")


def test_a_marker_the_vault_lacks_names_its_path() -> None:
    stored = seal({"auth": {"password": "pw-never-loaded"}}, None, SecretVault())
    with pytest.raises(InlineSecretMissing) as caught:
        reveal(stored, SecretVault())
    assert caught.value.path == "config.auth.password"
    assert "password_env" in str(caught.value)


def test_resolve_config_applies_env_names_and_inline_secrets() -> None:
    vault = SecretVault()
    stored = seal({"api_key": "k-inline", "other_token_env": "VAR"}, None, vault)
    assert resolve_config(stored, {"VAR": "from-env"}, vault) == {
        "api_key": "k-inline",
        "other_token": "from-env",
    }


def test_public_config_shows_no_secret_in_any_form() -> None:
    for config in (CONFIG, seal(CONFIG, None, SecretVault())):
        shown = public_config(config)
        text = json.dumps(shown)
        for secret in (*SECRETS, "hunter22"):
            assert secret not in text
        assert shown["api_key"] == "***" and shown["auth"]["deeper"]["token"] == "***"
        assert shown["api_key_env"] == "SONARR_KEY" and shown["auth"]["username"] == "bob"
        assert shown["bearer"] == ["***", "***"]


def test_clear_text_secrets_are_told_apart_from_sealed_ones() -> None:
    assert holds_plain_secret(CONFIG)
    assert holds_plain_secret({"a": [{"token": "x"}]})
    assert not holds_plain_secret(seal(CONFIG, None, SecretVault()))
    assert not holds_plain_secret({"api_key_env": "VAR", "use_token": False, "api_key": None})


def test_nested_inline_secrets_are_scrubbed_from_logs() -> None:
    forget_secrets()
    try:
        register_config_secrets(CONFIG)
        text = redact_text("saw pw-s3cret and 987654 and sec-in-list and SONARR_KEY")
        assert text == "saw *** and *** and *** and SONARR_KEY"
    finally:
        forget_secrets()
