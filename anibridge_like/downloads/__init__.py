"""Downloads: Sonarr/Radarr/Prowlarr add this daemon as a qBittorrent client; a grab of one of our
releases becomes a file (or a ``.strm``) where they import it.

==================  ===========================================================================
module              role
==================  ===========================================================================
``api``             the ``/api/v2`` route table (qBittorrent Web API v2 subset, evidence cited)
``qbt_common``      session check, parameters, bad input → 400 (:func:`qbt_common.endpoint`)
``qbt_torrents``    ``torrents/*`` handlers (add, info, properties, files, delete, pause …)
``qbt_misc``        auth, app, categories, sync, transfer handlers
``views``           download rows as qBittorrent JSON (states Sonarr maps)
``session``         login, ``SID`` sessions, refusal beyond loopback without credentials
``forms``/``paths`` typed request fields; every client path confined to the download dir
``store``           download rows: reads and the writer units (coalesced progress)
``service``         the lifespan-owned service: bounded workers, progress flusher, restart
``job``             one download: links → hosters in preference order → file or ``.strm``
``hosting``         host plugin instances, link order, per-host timeout via the call boundary
``ytdlp``           the media fetch on a worker thread (resume, cancel, progress)
``tokens``/``stream`` signed ``/stream/{token}`` URLs and the route that plays them
==================  ===========================================================================
"""
