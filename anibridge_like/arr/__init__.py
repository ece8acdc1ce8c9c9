"""Registering anibridge-like in Sonarr, Radarr and Prowlarr through their own APIs
(``anibridge-like connect``): :mod:`.client` speaks the provider API, :mod:`.resources` says
what we register (as data), :mod:`.connect` makes it so, idempotently."""
