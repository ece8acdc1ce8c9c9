"""Fake media servers (Jellyfin, Plex) for tests, the demo and benchmarks, over shared content.

Evidence for the shapes (cited in each module): Jellyfin's generated OpenAPI client
(``jellyfin/jellyfin-apiclient-python``) and the ``pkkid/python-plexapi`` library's source."""
