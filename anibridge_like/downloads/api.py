"""The qBittorrent Web API v2 subset Sonarr, Radarr and Prowlarr use, under ``/api/v2``.

Evidence: ``Sonarr/Sonarr`` ``src/NzbDrone.Core/Download/Clients/QBittorrent/QBittorrentProxyV2.cs``
(the calls: ``app/webapiVersion`` probe without auth — 403 counts as "supported" —,
``auth/login``, ``app/version``, ``app/preferences``, ``torrents/add`` with ``urls``/``category``/
``paused``|``stopped``, ``torrents/info?category=``, ``torrents/properties|files?hash=``,
``torrents/delete`` with ``deleteFiles``, ``setCategory``, ``createCategory``, ``categories``,
``topPrio``, ``setForceStart``, ``setShareLimits``, ``addTags``) and ``QBittorrent.cs`` (a magnet
without ``&tr=`` is refused unless ``preferences.dht`` is true; the category test creates a
missing category). ``Radarr/Radarr`` ``src/NzbDrone.Core/Download/Clients/QBittorrent/
QBittorrentProxyV2.cs`` makes the same calls with its movie category and ``paused``, and accepts a
login only when the body is exactly ``Ok.``.

Errors are plain text: 400 with the reason for bad input, 403 without a session, 404 for an
unknown hash, 409 for an unknown category — as qBittorrent answers them.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from anibridge_like.downloads.qbt_common import Handler, endpoint
from anibridge_like.downloads.qbt_misc import (
    accepted,
    build_info,
    categories,
    create_category,
    default_save_path,
    edit_category,
    login,
    logout,
    maindata,
    preferences,
    remove_categories,
    tags,
    transfer_info,
    version,
    webapi_version,
)
from anibridge_like.downloads.qbt_torrents import (
    add,
    delete,
    files,
    hashes_accepted,
    info,
    pause,
    properties,
    resume,
    set_category,
)

_BOTH = ["GET", "POST"]
_TABLE: list[tuple[str, Handler, list[str], bool]] = [
    ("auth/login", login, ["POST"], False),
    ("auth/logout", logout, ["POST"], True),
    ("app/version", version, _BOTH, True),
    ("app/webapiVersion", webapi_version, _BOTH, True),
    ("app/buildInfo", build_info, _BOTH, True),
    ("app/preferences", preferences, _BOTH, True),
    ("app/setPreferences", accepted, ["POST"], True),
    ("app/defaultSavePath", default_save_path, _BOTH, True),
    ("torrents/add", add, ["POST"], True),
    ("torrents/info", info, _BOTH, True),
    ("torrents/properties", properties, _BOTH, True),
    ("torrents/files", files, _BOTH, True),
    ("torrents/delete", delete, ["POST"], True),
    ("torrents/pause", pause, ["POST"], True),
    ("torrents/stop", pause, ["POST"], True),
    ("torrents/resume", resume, ["POST"], True),
    ("torrents/start", resume, ["POST"], True),
    ("torrents/setCategory", set_category, ["POST"], True),
    ("torrents/topPrio", hashes_accepted, ["POST"], True),
    ("torrents/bottomPrio", hashes_accepted, ["POST"], True),
    ("torrents/setForceStart", hashes_accepted, ["POST"], True),
    ("torrents/setShareLimits", hashes_accepted, ["POST"], True),
    ("torrents/addTags", hashes_accepted, ["POST"], True),
    ("torrents/removeTags", hashes_accepted, ["POST"], True),
    ("torrents/tags", tags, _BOTH, True),
    ("torrents/categories", categories, _BOTH, True),
    ("torrents/createCategory", create_category, ["POST"], True),
    ("torrents/editCategory", edit_category, ["POST"], True),
    ("torrents/removeCategories", remove_categories, ["POST"], True),
    ("sync/maindata", maindata, _BOTH, True),
    ("transfer/info", transfer_info, _BOTH, True),
]

routes: list[BaseRoute] = [
    Route(f"/api/v2/{path}", endpoint(handler, auth=auth), methods=methods)
    for path, handler, methods, auth in _TABLE
]
