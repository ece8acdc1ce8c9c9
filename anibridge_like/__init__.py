"""anibridge_like: a Torznab indexer answering from a local SQLite index of site catalogs."""

__version__ = "0.1.0"
