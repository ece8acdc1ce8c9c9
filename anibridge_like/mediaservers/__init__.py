"""Media servers: clients for Jellyfin, Plex and a plain folder behind the contract in
:mod:`anibridge_like.plugins.media_server`, the inventory pull that turns their listings into
owned canonical episodes, and the gap report built on it.

==================  ==============================================================================
module              role
==================  ==============================================================================
``http``            the one request helper of the HTTP clients (status → ``PluginError`` code)
``jellyfin``        Jellyfin REST client
``plex``            Plex XML client
``filesystem``      a folder tree read by Sonarr/Radarr/Jellyfin naming (``naming`` parses names)
``bindings``        seed bindings: daemon library → server library, checked with YAML paths
``resolve``         server items → canonical works (ids first, names second)
``inventory``       the paged pull, scan state and per-episode ownership (all writes via Writer)
``engine``          instances from the registry, connection state, the ``media_scan`` entry point
``gaps``            the gap report (owned vs. known episodes, languages available)
==================  ==============================================================================
"""
