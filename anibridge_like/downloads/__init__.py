"""Downloads: the qBittorrent-compatible Web API (``/api/v2``) Sonarr/Radarr/Prowlarr talk to,
download jobs persisted through the writer, workers that resolve hoster links and fetch the media
with yt-dlp (or write a ``.strm``), and ``/stream/{token}`` for those ``.strm`` files."""
