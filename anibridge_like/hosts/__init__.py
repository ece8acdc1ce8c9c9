"""Host plugins (kind ``host``): embed page → media source. Contract:
:mod:`anibridge_like.plugins.host`; the built-in :mod:`~anibridge_like.hosts.generic` reads
HTML5 ``<video>``/``<source>`` and HLS playlists from any embed page."""
