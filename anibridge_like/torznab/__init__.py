"""Torznab API served from the local index: params → SQL → escaped XML templates.

The routes live in :mod:`anibridge_like.torznab.routes` (``routes``), mounted by the app.
"""
