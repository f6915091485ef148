"""Set-up of each worker process of the embedded cluster (a Dask preload, ``dask_setup``).

Ctrl-C on a terminal sends SIGINT to every process of the foreground job: to lekk, which stops
the audit and the cluster, and to the worker processes Dask started, which would each die on
their own with a ``KeyboardInterrupt`` traceback on the terminal.  They ignore it: lekk stops
them.  (The scan a worker runs still gets it and stops at once, and stops on its own when its
worker is gone: ``scanner.audit.scan``.)  Workers of a ``--scheduler`` cluster are their
operator's to stop.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any


def dask_setup(worker: Any) -> None:
    with contextlib.suppress(ValueError):  # only the main thread may; a worker's loop runs there
        signal.signal(signal.SIGINT, signal.SIG_IGN)
