"""Fake media servers (Jellyfin, Plex) for tests, the demo and benchmarks, over shared content."""
