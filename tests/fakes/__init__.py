"""Fake external systems for tests, benchmarks and demo runs (provider sites, metadata servers,
*arr apps, media servers), reachable in-process or as loopback servers."""
