"""``aloft.ui``: the local web UI (asset graph, runs, jobs, automation, backfills) and its JSON API.

Standard library only; not imported by ``import aloft``. Start it with
``aloft ui`` or in code (``aloft dev`` does the same)::

    from aloft.ui.server import UIServer

    with UIServer(defs, store, port=3000) as server:
        print(server.url)

See ``docs/ui.md`` for the pages and the API.
"""

from __future__ import annotations
