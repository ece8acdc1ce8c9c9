"""``connect`` tests: the real daemon app (the Torznab fixtures) and the *arr fakes."""

from tests.torznab.conftest import make_client

__all__ = ["make_client"]
