"""The process-wide bridge and clients every viewer and call shares."""
from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import TYPE_CHECKING

# pyzmq is imported only when a bridge is used: under Pyodide it does not exist
if TYPE_CHECKING:
    from ._process import BridgeProcess
    from .client import AsyncBridgeClient, SyncBridgeClient

_lock = threading.Lock()
_process: "BridgeProcess | None" = None
_async_client: "AsyncBridgeClient | None" = None
_sync_client: "SyncBridgeClient | None" = None


def new_process() -> "BridgeProcess":
    """The bridge this process uses: the running one SCADLIVE_CONNECTION_FILE names,
    else a child of its own (SCADLIVE_WORKERS, SCADLIVE_BACKEND, SCADLIVE_RENDERERS)."""
    if sys.platform == "emscripten":
        from ._pyodide import unavailable
        raise unavailable("the render bridge")
    from ._process import BridgeProcess, RunningBridge
    conn_file = os.environ.get("SCADLIVE_CONNECTION_FILE")
    if conn_file:
        return RunningBridge(conn_file)
    workers = os.environ.get("SCADLIVE_WORKERS")
    return BridgeProcess(workers=int(workers) if workers else None,
                         backend=os.environ.get("SCADLIVE_BACKEND"))


def process() -> "BridgeProcess":
    global _process
    with _lock:
        if _process is None:
            _process = new_process()
            atexit.register(_process.stop)
        return _process


def async_client() -> "AsyncBridgeClient":
    global _async_client
    proc = process()
    from .client import AsyncBridgeClient
    with _lock:
        if _async_client is None:
            _async_client = AsyncBridgeClient(proc)
        return _async_client


def sync_client() -> "SyncBridgeClient":
    global _sync_client
    proc = process()
    from .client import SyncBridgeClient
    with _lock:
        if _sync_client is None:
            _sync_client = SyncBridgeClient(proc)
        return _sync_client
