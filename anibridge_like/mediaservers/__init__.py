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
``inventory``       the paged pull: resolution per page, the rules of ownership
``store``           its Writer units (items, ownership, scan state) and the error → state table
``engine``          instances from the plugin manager, bindings, ``scan`` / ``trigger_scans``
``scan_job``        the ``media_scan`` job type (jobs runner)
``gaps``            the gap report (owned vs. known episodes, languages available)
``status``          media servers' state for ``/health/catalog`` and the admin API
==================  ==============================================================================
"""
