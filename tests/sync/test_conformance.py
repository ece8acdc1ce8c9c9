"""Every registered sync implementation against its fake: first sync, cursor resume, and the
contract error each failure becomes."""

from __future__ import annotations

import pytest

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.sync import LIST_STATUSES, SyncPlugin, SyncResult, WantedItem
from tests.sync.conftest import CTX, Harness

MAX_PAGES = 50


async def _all(plugin: SyncPlugin) -> tuple[list[WantedItem], int]:
    cursor: str | None = None
    items: list[WantedItem] = []
    for pages in range(1, MAX_PAGES + 1):
        result = await plugin.sync(CTX, cursor)
        assert result.error is None
        items += result.items
        if not result.has_more:
            assert result.next_cursor is None
            return items, pages
        assert result.next_cursor is not None and result.next_cursor != cursor
        cursor = result.next_cursor
    raise AssertionError("the listing never ended")


async def test_first_sync_lists_every_entry_with_ids_and_status(harness: Harness) -> None:
    assert isinstance(harness.plugin, SyncPlugin)
    items, pages = await _all(harness.plugin)
    assert {i.external_id for i in items} == harness.expected
    assert len(items) == len({i.external_id for i in items})
    for item in items:
        assert item.ids.any() and item.title and item.list_status in LIST_STATUSES
        assert item.kind in harness.plugin.capabilities.kinds
    if harness.paged:
        assert pages > 1  # the fixture's page size makes the list span pages


async def test_sync_is_stable_across_runs(harness: Harness) -> None:
    first, _ = await _all(harness.plugin)
    second, _ = await _all(harness.plugin)
    assert first == second


async def test_cursor_resumes_where_the_previous_page_ended(harness: Harness) -> None:
    first = await harness.plugin.sync(CTX, None)
    if not harness.paged:
        assert not first.has_more and first.next_cursor is None
        return
    assert first.has_more and first.next_cursor
    resumed: SyncResult = await harness.plugin.sync(CTX, first.next_cursor)
    assert not {i.external_id for i in first.items} & {i.external_id for i in resumed.items}
    again = await harness.plugin.sync(CTX, first.next_cursor)
    assert again.items == resumed.items


async def test_rate_limit_becomes_rate_limited_with_retry_after(harness: Harness) -> None:
    harness.fail_next(status=429, retry_after=30)
    with pytest.raises(PluginError) as caught:
        await harness.plugin.sync(CTX, None)
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert caught.value.retry_after == 30


async def test_server_error_becomes_upstream(harness: Harness) -> None:
    harness.fail_next(status=503)
    with pytest.raises(PluginError) as caught:
        await harness.plugin.sync(CTX, None)
    assert caught.value.code is ErrorCode.UPSTREAM


async def test_truncated_answer_becomes_invalid_data(harness: Harness) -> None:
    harness.fake.truncate_next()
    with pytest.raises(PluginError) as caught:
        await _all(harness.plugin)
    assert caught.value.code is ErrorCode.INVALID_DATA


async def test_credentials_rejected_or_unknown_user(harness: Harness) -> None:
    """A wrong key is ``auth`` (keyed services); an unknown user is ``not_found``."""
    if harness.plugin.capabilities.requires_key:
        harness.fake.api_key = "rotated"
        expected = ErrorCode.AUTH
    else:
        harness.fake.lists.clear()
        expected = ErrorCode.NOT_FOUND
    with pytest.raises(PluginError) as caught:
        await harness.plugin.sync(CTX, None)
    assert caught.value.code is expected
