"""Preloaded into the local cluster's worker processes (``LocalCluster(preload=...)``).

Ctrl+C in a terminal signals the whole process group, the local cluster's worker processes
included; each then printed "Process Dask Worker process (from Nanny): Traceback ...
KeyboardInterrupt" next to the planner's own line. A worker ignores SIGINT: the planner gets the
Ctrl+C and closes the client and the cluster in its ``finally``, which stops the workers
(SIGTERM and SIGKILL still reach them, and the nanny ends a worker whose parent is gone).
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any) -> None:
    """Dask's preload hook: run in the worker process as the worker starts."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
